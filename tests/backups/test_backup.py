"""`heliograph-admin backup` while a writer runs, and `restore` into a new installation.

The installations run as separate processes on SQLite, and on PostgreSQL as well when
DATABASE_URL names a PostgreSQL server: the source and target databases are then created on
that server, named after DATABASE_URL's database with a suffix, and dropped afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
import pytest

from tests.backups.conftest import expect_ok, run_admin
from tests.commands.conftest import admin_environment

WRITER = Path(__file__).with_name("writer.py")
POSTGRESQL_URL = os.environ.get("DATABASE_URL", "")
# A SQLite installation makes its database in its own data directory whatever DATABASE_URL
# names.
ENGINES = [pytest.param("sqlite", marks=pytest.mark.own_database)]
if POSTGRESQL_URL.startswith(("postgres", "pgsql")):
    ENGINES.append(pytest.param("postgresql"))

# Rows that never change once written, compared whole: (table, columns, order).
FIXED = {
    "domain_page": "id, slug, title, time_zone, created_at",
    "domain_incident": "id, page_id, title, opened_at, created_at",
    "domain_incidentevent": "id, incident_id, at, state, status, text, posted_at",
    "domain_service": "id, page_id, name, start_date",
    "domain_maintenance": "id, page_id, title, starts_at, ends_at",
    "notifications_subscriber": "id, page_id, email, token, confirmed_at",
    "domain_membership": "id, page_id, user_id, role",
    "accounts_user": "id, email, password",
}


@dataclass
class Installation:
    """A data directory, and the PostgreSQL database it uses when it is not on SQLite."""

    data_dir: Path
    database_url: str = ""
    environment: dict[str, str] = field(default_factory=dict)

    def admin(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return run_admin(self.data_dir, *args, environment=self.environment, **kwargs)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.database_url:
            with psycopg.connect(self.database_url) as connection:
                return list(connection.execute(sql).fetchall())
        connection = sqlite3.connect(self.data_dir / "heliograph.sqlite3", timeout=30)
        try:
            return list(connection.execute(sql).fetchall())
        finally:
            connection.close()


def _server_url(name: str) -> str:
    config = dj_database_url.parse(POSTGRESQL_URL)
    user = config.get("USER") or "postgres"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _admin_connection() -> psycopg.Connection[Any]:
    return psycopg.connect(_server_url("postgres"), autocommit=True)


@pytest.fixture
def installations(engine: str, tmp_path: Path, migrated_template: Path,
                  ) -> Iterator[Callable[..., Installation]]:
    """Return a function that makes an installation by name: migrated, or with no tables."""
    created: list[str] = []

    def make(name: str, *, migrated: bool = True) -> Installation:
        data_dir = tmp_path / name
        if engine == "sqlite":
            if migrated:
                shutil.copytree(migrated_template, data_dir)
            else:
                data_dir.mkdir()
            return Installation(data_dir)
        data_dir.mkdir()
        base = dj_database_url.parse(POSTGRESQL_URL)["NAME"]
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        database = f"{base}_backup_{name}_{worker}"
        with _admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{database}"')
        created.append(database)
        url = _server_url(database)
        installation = Installation(data_dir, url, {"DATABASE_URL": url})
        if migrated:
            expect_ok(installation.admin("migrate", "--verbosity", "0"))
        return installation

    yield make
    if created:
        with _admin_connection() as connection:
            for database in created:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class Writer:
    """The writer process, and the numbers of the writes it reported as committed."""

    def __init__(self, source: Installation, stop_file: Path) -> None:
        environment = {**admin_environment(source.data_dir), **source.environment}
        self.stop_file = stop_file
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), str(stop_file)], env=environment,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.committed: list[int] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("ready"):
                self.ready.set()
            elif line.startswith("committed "):
                self.committed.append(int(line.split()[1]))

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.committed) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the writer stopped or stalled: {self.stderr()}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.stop_file.touch()
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)

    def stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        assert self.process.stderr is not None
        return self.process.stderr.read()


def committed_state(installation: Installation) -> dict[str, set[tuple[Any, ...]]]:
    return {table: set(installation.query(f"SELECT {columns} FROM {table}"))  # noqa: S608
            for table, columns in FIXED.items()}


def status_number(installation: Installation) -> int:
    [(message,)] = installation.query(
        "SELECT default_status_message FROM domain_page WHERE slug = 'demo'")
    return int(message.removeprefix("Status ")) if message.startswith("Status ") else 0


@pytest.mark.parametrize("engine", ENGINES)
def test_backup_during_writes_restores_committed_rows(
    engine: str, installations: Callable[..., Installation], tmp_path: Path,
) -> None:
    source = installations("source")
    expect_ok(source.admin("demo"))
    writer = Writer(source, tmp_path / "stop")
    try:
        writer.wait_for(15)
        before = committed_state(source)
        status_before = status_number(source)
        writes_before = len(writer.committed)
        backup = source.admin("backup", str(tmp_path / "backup"))
        writes_during = len(writer.committed) - writes_before
    finally:
        writer.stop()
    expect_ok(backup)
    target = installations("target", migrated=False)

    restored = target.admin("restore", str(tmp_path / "backup"))

    expect_ok(restored)
    after = committed_state(target)
    for table, rows in before.items():
        assert rows <= after[table], f"{table} lost rows committed before the backup"
    assert writes_during > 0, "the writer made no write while the backup ran"
    assert status_number(target) >= status_before >= 3
    # Every incident points at an event that the restore contains.
    assert target.query(
        "SELECT COUNT(*) FROM domain_incident i LEFT JOIN domain_incidentevent e "
        "ON e.id = i.latest_event_id WHERE e.id IS NULL") == [(0,)]
    source_logo = source.query("SELECT logo FROM domain_page WHERE slug = 'demo'")[0][0]
    assert target.query("SELECT logo FROM domain_page WHERE slug = 'demo'")[0][0] == source_logo
    assert ((target.data_dir / "uploads" / source_logo).read_bytes()
            == (source.data_dir / "uploads" / source_logo).read_bytes())
    assert ((target.data_dir / "secret_key").read_text()
            == (source.data_dir / "secret_key").read_text())
    listing = expect_ok(target.admin("page", "list"))
    assert listing.startswith("demo\tHeliograph Demo\t")
    dumped = json.loads(expect_ok(target.admin("page", "dump", "demo")))
    assert dumped["page"]["logo"]["extension"] == "png"


@pytest.mark.parametrize("engine", ENGINES)
def test_restore_refuses_installation_with_data(
    engine: str, installations: Callable[..., Installation], tmp_path: Path,
) -> None:
    source = installations("source")
    expect_ok(source.admin("createuser", "--email", "first@example.com", "--password-stdin",
                           input="long pass phrase 42\n"))
    expect_ok(source.admin("backup", str(tmp_path / "backup")))
    expect_ok(source.admin("createuser", "--email", "later@example.com", "--password-stdin",
                           input="long pass phrase 42\n"))

    refused = source.admin("restore", str(tmp_path / "backup"))
    forced = source.admin("restore", str(tmp_path / "backup"), "--force")

    assert refused.returncode == 1
    assert "This installation already contains 2 users" in refused.stderr
    assert "--force" in refused.stderr
    expect_ok(forced)
    emails = source.query("SELECT email FROM accounts_user ORDER BY email")
    assert emails == [("first@example.com",)]


@pytest.mark.parametrize("engine", ["sqlite"])
def test_restore_rejects_damaged_backup(
    engine: str, installations: Callable[..., Installation], tmp_path: Path,
) -> None:
    source = installations("source")
    expect_ok(source.admin("backup", str(tmp_path / "backup")))
    database = tmp_path / "backup" / "database.sqlite3"
    content = bytearray(database.read_bytes())
    content[5000] ^= 0xFF
    database.write_bytes(bytes(content))
    target = installations("target", migrated=False)

    result = target.admin("restore", str(tmp_path / "backup"))

    assert result.returncode == 1
    assert ("database.sqlite3 does not match its SHA-256 in the manifest: the backup is "
            "damaged") in result.stderr
    assert "Traceback" not in result.stderr
    assert not (target.data_dir / "heliograph.sqlite3").exists() or target.query(
        "SELECT name FROM sqlite_master WHERE name = 'domain_page'") == []


def test_backup_into_used_directory_rejected(tmp_path: Path,
                                             installations: Callable[..., Installation],
                                             ) -> None:
    source = installations("source")
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("keep me")

    result = source.admin("backup", str(used))

    assert result.returncode == 1
    assert "DIR: " in result.stderr
    assert "is not an empty directory" in result.stderr
    assert (used / "notes.txt").read_text() == "keep me"


@pytest.fixture
def engine() -> str:
    """The engine of tests that are not parametrised: SQLite."""
    return "sqlite"


def test_restore_other_engine_explains(tmp_path: Path,
                                       installations: Callable[..., Installation]) -> None:
    source = installations("source")
    expect_ok(source.admin("backup", str(tmp_path / "backup")))
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["database"]["engine"] = "postgresql"
    manifest_path.write_text(json.dumps(manifest))
    target = installations("target")

    result = target.admin("restore", str(tmp_path / "backup"))

    assert result.returncode == 1
    assert "The backup contains a postgresql database and this installation uses sqlite" in (
        result.stderr)
    assert "heliograph-admin page dump" in result.stderr


def test_backup_without_pg_dump_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         settings: Any) -> None:
    from heliograph.backups.manifest import BackupError
    from heliograph.backups.operations import take_backup

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    config = {"ENGINE": "django.db.backends.postgresql", "NAME": "heliograph_h3_unused",
              "HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres", "PASSWORD": ""}
    monkeypatch.setitem(settings.DATABASES, "default", {**settings.DATABASES["default"],
                                                        **config})

    with pytest.raises(BackupError) as raised:
        take_backup(tmp_path / "backup")

    assert str(raised.value).startswith("pg_dump was not found on the PATH")
    assert "postgresql-client-15" in str(raised.value)
    assert not (tmp_path / "backup").exists()


def test_restore_without_manifest_explains(tmp_path: Path,
                                           installations: Callable[..., Installation]) -> None:
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "database.sqlite3").write_bytes(b"")
    target = installations("target", migrated=False)

    result = target.admin("restore", str(unfinished))

    assert result.returncode == 1
    assert f"DIR: {unfinished / 'manifest.json'} is missing" in result.stderr
    assert "did not finish" in result.stderr
    assert "Traceback" not in result.stderr


def test_manifest_path_outside_backup_rejected(tmp_path: Path) -> None:
    from heliograph.backups.manifest import BackupError, Manifest, verify

    (tmp_path / "secret.txt").write_text("outside")
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "database.sqlite3").write_bytes(b"data")
    manifest = Manifest(
        created_at="2025-01-01T00:00:00Z", heliograph_version="0.1.0", engine="sqlite",
        database_file="database.sqlite3", migrations={},
        files=[{"path": "database.sqlite3", "size": 4,
                "sha256": "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7"},
               {"path": "../secret.txt", "size": 7, "sha256": "0" * 64}],
        key_file_included=False,
    )

    with pytest.raises(BackupError) as raised:
        verify(backup, manifest)

    assert str(raised.value) == "The manifest lists '../secret.txt', outside the backup."
