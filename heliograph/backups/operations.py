"""Take a backup of the whole installation into a directory, and restore one.

A backup directory contains the database snapshot, `uploads/` (a copy of MEDIA_ROOT, where page
logos are), the generated `secret_key` when the installation has no SECRET_KEY in its
environment, and `manifest.json`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from heliograph.backups import databases
from heliograph.backups.manifest import (
    KEY_FILE,
    BackupError,
    Manifest,
    copy_verified,
    heliograph_version,
    list_files,
    read,
    utc_now,
    write,
)

logger = logging.getLogger(__name__)

UPLOADS = "uploads"


def take_backup(directory: Path) -> Manifest:
    """Write a backup of the installation into `directory`, which must be new or empty."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} already exists and is not an empty directory: give a "
                          "new directory for each backup.")
    kind = databases.engine()
    if not directory.exists():
        # The backup contains password hashes and tokens: only the owner may open a new one.
        directory.mkdir(parents=True, mode=0o700)
    try:
        manifest = _write_backup(directory, kind)
    except BaseException:
        # The directory was new or empty, so everything in it is this backup's.
        shutil.rmtree(directory, ignore_errors=True)
        raise
    logger.info("backup of the %s database written to %s", kind, directory)
    return manifest


def _write_backup(directory: Path, kind: str) -> Manifest:
    created_at = utc_now()
    dump = directory / databases.database_file(kind)
    databases.snapshot(dump)
    dump.chmod(0o600)
    migrations = databases.applied_migrations(kind, dump)

    # NOTE: the uploads are copied after the database snapshot, so a logo replaced in between
    # is missing from the copy while the snapshot still names it. The page then shows no logo
    # after a restore until one is uploaded again.
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir():
        shutil.copytree(media, directory / UPLOADS)
    key_file_included = not os.environ.get("SECRET_KEY")
    if key_file_included:
        key_file = Path(settings.DATA_DIR) / KEY_FILE
        shutil.copyfile(key_file, directory / KEY_FILE)
        (directory / KEY_FILE).chmod(0o600)

    manifest = Manifest(
        created_at=created_at,
        heliograph_version=heliograph_version(),
        engine=kind,
        database_file=dump.name,
        migrations=migrations,
        files=list_files(directory),
        key_file_included=key_file_included,
    )
    write(directory, manifest)
    return manifest


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    # Migrations of this code that the backup lacks: `migrate` applies them next.
    pending_migrations: list[str]
    # Whether the backup's generated key file replaced this installation's one.
    key_file_restored: bool


def restore_backup(directory: Path, *, force: bool = False) -> Restored:
    """Check the backup in `directory`, then restore it over this installation.

    Raise `BackupError` before anything is changed when the checksums, the engine or the
    migrations do not fit, or when the installation contains pages or users and `force` is false.
    """
    manifest = read(directory)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=settings.DATA_DIR) as staging:
        # The restore reads the checked copies, never the backup directory again.
        copy_verified(directory, manifest, Path(staging))
        return _restore_checked(directory, Path(staging), manifest, force=force)


def _restore_checked(directory: Path, staging: Path, manifest: Manifest, *,
                     force: bool) -> Restored:
    kind = databases.engine()
    if manifest.engine != kind:
        raise BackupError(
            f"The backup contains a {manifest.engine} database and this installation uses "
            f"{kind}: restore it into an installation on {manifest.engine}, then move pages "
            "across with `heliograph-admin page dump` and `heliograph-admin page load`."
        )
    known = _code_migrations()
    unknown = sorted(f"{app}.{name}" for app, names in manifest.migrations.items()
                     for name in names if (app, name) not in known)
    if unknown:
        raise BackupError(
            f"The backup was taken by a newer Heliograph ({manifest.heliograph_version}): its "
            f"migration {unknown[0]} is unknown here. Install that version or a later one first."
        )
    found = databases.holds_data()
    if found and not force:
        raise BackupError(
            f"This installation already contains {' and '.join(found)}: a restore replaces all of "
            "it. Restore into a new data directory or an empty database, or pass --force to "
            "overwrite it."
        )

    databases.restore(kind, staging / manifest.database_file)
    uploads = staging / UPLOADS
    if uploads.is_dir():
        shutil.copytree(uploads, Path(settings.MEDIA_ROOT), dirs_exist_ok=True)
    key_file_restored = False
    if manifest.key_file_included and not os.environ.get("SECRET_KEY"):
        key_file = Path(settings.DATA_DIR) / KEY_FILE
        shutil.copyfile(staging / KEY_FILE, key_file)
        key_file.chmod(0o600)
        key_file_restored = True
    # Cached public responses are keyed on page ids and versions, which the restored database
    # reuses with other content.
    clear_cache()

    applied = {(app, name) for app, names in manifest.migrations.items() for name in names}
    pending = sorted(f"{app}.{name}" for app, name in known - applied)
    logger.info("backup %s (taken %s) restored into the %s database", directory,
                manifest.created_at, kind)
    return Restored(manifest, pending, key_file_restored)


def clear_cache() -> int | None:
    """Delete Heliograph's cache entries and stored responses, and return how many on Redis.

    On Redis only the keys under the cache's KEY_PREFIX are deleted, so the task queue and
    other keys in the same Redis database remain. The in-process cache is emptied whole.
    """
    if not settings.REDIS_URL:
        cache.clear()
        return None
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    pattern = "".join(f"\\{char}" if char in "*?[]\\" else char for char in prefix) + ":*"
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) == 1000:
            deleted += client.delete(*batch)
            batch = []
    if batch:
        deleted += client.delete(*batch)
    return deleted


def _code_migrations() -> set[tuple[str, str]]:
    loader = MigrationLoader(connections["default"], ignore_no_migrations=True, load=False)
    loader.load_disk()
    return set(loader.disk_migrations)
