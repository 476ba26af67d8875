"""`heliograph-admin restore` of backups whose manifest or files were tampered with."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from heliograph.backups.manifest import BackupError, copy_verified, read
from tests.backups import test_backup
from tests.backups.conftest import expect_ok

Installation = test_backup.Installation
installations = test_backup.installations


@pytest.fixture
def engine() -> str:
    return "sqlite"


@pytest.fixture
def backup(tmp_path: Path, installations: Callable[..., Installation]) -> Path:
    source = installations("source")
    directory = tmp_path / "backup"
    expect_ok(source.admin("backup", str(directory)))
    return directory


def _list_file(backup: Path, name: str, content: bytes) -> None:
    """Add `name` to the backup and to its manifest, with a matching checksum."""
    manifest_path = backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"].append({"path": name, "size": len(content),
                              "sha256": hashlib.sha256(content).hexdigest()})
    manifest_path.write_text(json.dumps(manifest))


def test_restore_skips_unlisted_symlink_in_uploads(
    backup: Path, tmp_path: Path, installations: Callable[..., Installation],
) -> None:
    private = tmp_path / "private.txt"
    private.write_text("machine secret")
    (backup / "uploads").mkdir(exist_ok=True)
    (backup / "uploads" / "leak.txt").symlink_to(private)
    (backup / "uploads" / "extra.txt").write_text("not listed")
    target = installations("target", migrated=False)

    result = target.admin("restore", str(backup))

    expect_ok(result)
    uploads = target.data_dir / "uploads"
    assert not (uploads / "leak.txt").exists()
    assert not (uploads / "extra.txt").exists()


def test_restore_rejects_listed_symlink(
    backup: Path, tmp_path: Path, installations: Callable[..., Installation],
) -> None:
    private = tmp_path / "private.txt"
    private.write_bytes(b"machine secret")
    (backup / "uploads").mkdir(exist_ok=True)
    (backup / "uploads" / "leak.txt").symlink_to(private)
    _list_file(backup, "uploads/leak.txt", b"machine secret")
    target = installations("target", migrated=False)

    result = target.admin("restore", str(backup))

    assert result.returncode == 1
    assert "uploads/leak.txt in" in result.stderr
    assert "symbolic link" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (target.data_dir / "uploads" / "leak.txt").exists()


def test_restore_rejects_symlinked_uploads_directory(
    backup: Path, tmp_path: Path, installations: Callable[..., Installation],
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "logo.png").write_bytes(b"png")
    if (backup / "uploads").exists():
        (backup / "uploads").rename(tmp_path / "moved")
    (backup / "uploads").symlink_to(elsewhere, target_is_directory=True)
    _list_file(backup, "uploads/logo.png", b"png")
    target = installations("target", migrated=False)

    result = target.admin("restore", str(backup))

    assert result.returncode == 1
    assert "symbolic link" in result.stderr
    assert not (target.data_dir / "uploads" / "logo.png").exists()


@pytest.mark.parametrize("text", ["[]", '"manifest"', "7"])
def test_manifest_not_an_object(backup: Path, text: str,
                                installations: Callable[..., Installation]) -> None:
    (backup / "manifest.json").write_text(text)
    target = installations("target", migrated=False)

    result = target.admin("restore", str(backup))

    assert result.returncode == 1
    assert "manifest.json must contain a JSON object" in result.stderr
    assert "Traceback" not in result.stderr


def test_key_file_flag_without_listed_key(backup: Path,
                                          installations: Callable[..., Installation]) -> None:
    manifest_path = backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["key_file_included"] = True
    manifest["files"] = [entry for entry in manifest["files"] if entry["path"] != "secret_key"]
    manifest_path.write_text(json.dumps(manifest))
    target = installations("target", migrated=False)

    result = target.admin("restore", str(backup))

    assert result.returncode == 1
    assert "does not list 'secret_key'" in result.stderr


def test_copy_is_what_was_checked(backup: Path, tmp_path: Path) -> None:
    """A file that changes after its check cannot reach the restore: the copy is hashed."""
    manifest = read(backup)
    staging = tmp_path / "staging"
    staging.mkdir()

    copy_verified(backup, manifest, staging)
    (backup / "database.sqlite3").write_bytes(b"swapped after the check")

    staged = staging / "database.sqlite3"
    listed = next(entry for entry in manifest.files if entry["path"] == "database.sqlite3")
    assert hashlib.sha256(staged.read_bytes()).hexdigest() == listed["sha256"]


def test_file_grown_past_listed_size(backup: Path, tmp_path: Path) -> None:
    manifest = read(backup)
    with (backup / "database.sqlite3").open("ab") as handle:
        handle.write(b"\0" * 4096)
    staging = tmp_path / "staging"
    staging.mkdir()

    with pytest.raises(BackupError) as raised:
        copy_verified(backup, manifest, staging)

    assert str(raised.value).startswith("database.sqlite3 does not match its SHA-256")


def test_restore_leaves_no_staging_copy(
    backup: Path, installations: Callable[..., Installation],
) -> None:
    target = installations("target", migrated=False)

    expect_ok(target.admin("restore", str(backup)))

    assert not list(target.data_dir.glob(".restore-*"))


def test_backup_readable_by_owner_only(backup: Path) -> None:
    assert backup.stat().st_mode & 0o077 == 0
    assert (backup / "database.sqlite3").stat().st_mode & 0o077 == 0
    assert (backup / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("name", ["", "uploads/a\x00b", "/etc/hostname", "uploads/../../x"])
def test_manifest_bad_file_name(tmp_path: Path, name: str) -> None:
    directory = tmp_path / "forged"
    directory.mkdir()
    (directory / "database.sqlite3").write_bytes(b"data")
    digest = hashlib.sha256(b"data").hexdigest()
    (directory / "manifest.json").write_text(json.dumps({
        "format": 1, "created_at": "2026-01-01T00:00:00Z", "heliograph_version": "0.1.0",
        "database": {"engine": "sqlite", "file": "database.sqlite3"}, "migrations": {},
        "files": [{"path": "database.sqlite3", "size": 4, "sha256": digest},
                  {"path": name, "size": 4, "sha256": digest}],
        "key_file_included": False,
    }))
    staging = tmp_path / "staging"
    staging.mkdir()

    with pytest.raises(BackupError) as raised:
        copy_verified(directory, read(directory), staging)

    assert repr(name) in str(raised.value)
    assert list(staging.rglob("*")) in ([], [staging / "database.sqlite3"])
