"""The manifest of a backup directory: what it contains, and the checks a restore runs first.

`manifest.json` is written last, so a directory without it is an unfinished backup. It lists
every other file of the backup with its size and SHA-256 digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
# The key file that settings.py generates into the data directory, under this name in a backup.
KEY_FILE = "secret_key"
# Version of the manifest's layout; a restore rejects layouts it does not know.
FORMAT = 1
ENGINES = ("sqlite", "postgresql")


class BackupError(Exception):
    """A backup or restore that cannot go on, with a message that states what to do."""


@dataclass(frozen=True)
class Manifest:
    created_at: str
    heliograph_version: str
    engine: str
    database_file: str
    migrations: dict[str, list[str]]
    files: list[dict[str, Any]]
    # Whether the key file that settings.py generated into the data directory is in the
    # backup. It is not when the installation took SECRET_KEY from its environment.
    key_file_included: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "created_at": self.created_at,
            "heliograph_version": self.heliograph_version,
            "database": {"engine": self.engine, "file": self.database_file},
            "migrations": self.migrations,
            "files": self.files,
            "key_file_included": self.key_file_included,
        }


def heliograph_version() -> str:
    try:
        return metadata.version("heliograph")
    except metadata.PackageNotFoundError:
        return "unknown"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def list_files(directory: Path) -> list[dict[str, Any]]:
    """Return the size and SHA-256 of every file under `directory` except the manifest."""
    entries = []
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or (path.name == MANIFEST_NAME and path.parent == directory):
            continue
        entries.append({
            "path": path.relative_to(directory).as_posix(),
            "size": path.stat().st_size,
            "sha256": sha256_of(path),
        })
    return entries


def write(directory: Path, manifest: Manifest) -> None:
    path = directory / MANIFEST_NAME
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(manifest.to_json(), indent=2) + "\n")
    partial.replace(path)


def read(directory: Path) -> Manifest:
    """Read and check the manifest of `directory`; raise `BackupError` naming what is wrong."""
    path = directory / MANIFEST_NAME
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a directory: give the directory that "
                          "`heliograph-admin backup` wrote.")
    if not path.is_file():
        raise BackupError(f"{path} is missing: {directory} is not a backup, or the backup did "
                          "not finish. Take a new one.")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(f"{path} is not valid JSON ({error}).") from None
    if not isinstance(data, dict):
        raise BackupError(f"{path} must contain a JSON object, not {type(data).__name__}: "
                          "the backup is damaged. Restore another one.")
    if data.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown manifest format {data.get('format')!r} "
                          f"(this version reads format {FORMAT}).")
    try:
        database = data["database"]
        manifest = Manifest(
            created_at=str(data["created_at"]),
            heliograph_version=str(data["heliograph_version"]),
            engine=str(database["engine"]),
            database_file=str(database["file"]),
            migrations={str(app): [str(name) for name in names]
                        for app, names in data["migrations"].items()},
            files=[{"path": str(entry["path"]), "size": int(entry["size"]),
                    "sha256": str(entry["sha256"])} for entry in data["files"]],
            key_file_included=bool(data["key_file_included"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise BackupError(f"{path} is incomplete or malformed ({error!r} is missing or wrong)."
                          ) from None
    if manifest.engine not in ENGINES:
        raise BackupError(f"{path}: unknown database engine {manifest.engine!r}.")
    for entry in manifest.files:
        if not entry["path"] or "\x00" in entry["path"]:
            raise BackupError(f"{path} lists the file name {entry['path']!r}, which is empty or "
                              "contains a null character: the backup is damaged. Restore "
                              "another one.")
    return manifest


def verify(directory: Path, manifest: Manifest) -> None:
    """Check every listed file's size and SHA-256; raise `BackupError` at the first mismatch."""
    root = directory.resolve()
    _check_listing(manifest)
    for entry in manifest.files:
        path = _listed_path(root, directory, entry["path"])
        if path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            raise _damaged(entry["path"])


def copy_verified(directory: Path, manifest: Manifest, staging: Path) -> None:
    """Copy every listed file into `staging`, checking the copy's size and SHA-256.

    A restore reads only these copies, so what it writes is exactly what was checked, even
    when a file of the backup changes after the check. Files that the manifest does not list
    are not copied. Raise `BackupError` at the first file that is missing, is a symbolic link,
    lies outside the backup or does not match the manifest.
    """
    root = directory.resolve()
    _check_listing(manifest)
    for entry in manifest.files:
        source = _listed_path(root, directory, entry["path"])
        target = staging / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        copied = 0
        try:
            descriptor = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as error:
            raise BackupError(f"Reading {entry['path']} from {directory} failed: "
                              f"{error.strerror}.") from None
        with os.fdopen(descriptor, "rb") as handle, target.open("wb") as copy:
            # Reading one block past the listed size is enough to tell a file that grew.
            while copied <= entry["size"]:
                block = handle.read(min(1 << 20, entry["size"] + 1 - copied))
                if not block:
                    break
                digest.update(block)
                copy.write(block)
                copied += len(block)
        if copied != entry["size"] or digest.hexdigest() != entry["sha256"]:
            raise _damaged(entry["path"])


def _check_listing(manifest: Manifest) -> None:
    listed = {entry["path"] for entry in manifest.files}
    if manifest.database_file not in listed:
        raise BackupError(f"The manifest does not list the database file "
                          f"{manifest.database_file!r}.")
    if manifest.key_file_included and KEY_FILE not in listed:
        raise BackupError(f"The manifest marks the secret key as included but does not list "
                          f"{KEY_FILE!r}: the backup is damaged. Restore another one.")


def _listed_path(root: Path, directory: Path, name: str) -> Path:
    """Return the path of the listed file `name`, which must be a regular file in the backup.

    A symbolic link anywhere on the path is rejected, because it could lead a restore to read a
    file of this machine into the public uploads.
    """
    if Path(name).is_absolute() or ".." in Path(name).parts:
        raise BackupError(f"The manifest lists {name!r}, outside the backup.")
    path = root / name
    if path.resolve() != path:
        raise BackupError(f"{name} in {directory} is or passes through a symbolic link: a "
                          "backup contains regular files only. Restore another one.")
    if not path.is_file():
        raise BackupError(f"{name} is listed in the manifest but missing from {directory}.")
    return path


def _damaged(name: str) -> BackupError:
    return BackupError(f"{name} does not match its SHA-256 in the manifest: the backup is "
                       "damaged. Restore another one.")
