"""Snapshots and restores of the database: SQLite's online backup API, or pg_dump and pg_restore.

Both snapshots are consistent while the server keeps writing. SQLite's backup copies every page
in one step under a single read transaction, and pg_dump reads through one snapshot of a
repeatable-read transaction.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

from heliograph.backups.manifest import BackupError

SQLITE_FILE = "database.sqlite3"
POSTGRESQL_FILE = "database.pgdump"
# How long a SQLite connection waits for another process's write lock, in seconds.
SQLITE_BUSY_SECONDS = 30


def engine() -> str:
    """Return "sqlite" or "postgresql" for the configured default database."""
    name = settings.DATABASES["default"]["ENGINE"]
    if name.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in name or "postgis" in name:
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not the database engine {name}.")


def database_file(kind: str) -> str:
    return SQLITE_FILE if kind == "sqlite" else POSTGRESQL_FILE


def snapshot(target: Path) -> None:
    """Write a consistent copy of the default database to `target`."""
    if engine() == "sqlite":
        _sqlite_snapshot(Path(settings.DATABASES["default"]["NAME"]), target)
    else:
        _pg_dump(settings.DATABASES["default"], target)


def applied_migrations(kind: str, dump: Path) -> dict[str, list[str]]:
    """Return the migrations applied in the snapshot, by app, in name order."""
    if kind == "sqlite":
        with _sqlite_read_only(dump) as connection:
            rows = connection.execute("SELECT app, name FROM django_migrations").fetchall()
    else:
        # pg_dump saw the same rows: the table changes only when someone runs migrate.
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            rows = cursor.fetchall()
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def restore(kind: str, dump: Path) -> None:
    """Replace the default database's content with the snapshot `dump`."""
    connections.close_all()
    if kind == "sqlite":
        _sqlite_restore(dump, Path(settings.DATABASES["default"]["NAME"]))
    else:
        _pg_restore(settings.DATABASES["default"], dump)


def holds_data() -> list[str]:
    """Return the counts of pages and users that a restore would overwrite ("3 pages")."""
    from heliograph.accounts.models import User
    from heliograph.domain.models import Page

    found = []
    for model, noun in ((Page, "page"), (User, "user")):
        try:
            count = model.objects.count()
        except DatabaseError:
            # No tables yet: nothing to lose.
            connections["default"].close()
            continue
        if count:
            found.append(f"{count} {noun}{'s' if count != 1 else ''}")
    return found


# SQLite


def _sqlite_snapshot(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"The database {source} does not exist: check HELIOGRAPH_DATA_DIR.")
    origin = sqlite3.connect(source, timeout=SQLITE_BUSY_SECONDS)
    copy = sqlite3.connect(target)
    try:
        # pages=-1 (the default) copies the whole database in one step, so no write made
        # during the copy can reach it.
        origin.backup(copy, pages=-1)
        # A rollback journal keeps the copy in one file: in WAL mode, opening it would add
        # -wal and -shm files next to it that the manifest does not list.
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"Copying {source} failed: {error}.") from None
    finally:
        copy.close()
        origin.close()


def _sqlite_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _sqlite_restore(dump: Path, target: Path) -> None:
    with _sqlite_read_only(dump) as source:
        result = source.execute("PRAGMA integrity_check").fetchone()
    source.close()
    if result is None or result[0] != "ok":
        raise BackupError(f"{dump} fails SQLite's integrity check ({result}): restore another "
                          "backup.")
    target.parent.mkdir(parents=True, exist_ok=True)
    origin = sqlite3.connect(dump)
    copy = sqlite3.connect(target, timeout=SQLITE_BUSY_SECONDS)
    try:
        origin.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as error:
        raise BackupError(f"Writing {target} failed: {error}. Stop the server and the worker, "
                          "which may hold the database, and try again.") from None
    finally:
        copy.close()
        origin.close()


# PostgreSQL


def _pg_environment(config: Mapping[str, Any]) -> dict[str, str]:
    """Return the environment that points the PostgreSQL client programs at `config`.

    The password travels in PGPASSWORD rather than on the command line, where `ps` shows it.
    """
    environment = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                          ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME")):
        value = config.get(key)
        if value:
            environment[variable] = str(value)
        else:
            environment.pop(variable, None)
    return environment


def _client(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            f"{program} was not found on the PATH. Install the PostgreSQL client programs of "
            f"the server's major version (on Debian: apt install postgresql-client-15), or add "
            f"their directory to PATH."
        )
    return path


def _run(arguments: list[str], config: Mapping[str, Any]) -> None:
    # The arguments are the program's path, fixed options and paths of this installation.
    environment = _pg_environment(config)
    result = subprocess.run(arguments, env=environment, capture_output=True,  # noqa: S603
                            text=True, check=False)
    if result.returncode != 0:
        program = Path(arguments[0]).name
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        raise BackupError(f"{program} failed: {detail}")


def _pg_dump(config: Mapping[str, Any], target: Path) -> None:
    _run([_client("pg_dump"), "--format=custom", "--no-owner", f"--file={target}"], config)


def _pg_restore(config: Mapping[str, Any], dump: Path) -> None:
    # --clean drops the tables that a `migrate` of the empty installation created, and the
    # single transaction leaves the database as it was when any statement fails.
    _run([_client("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={config['NAME']}", str(dump)],
         config)
