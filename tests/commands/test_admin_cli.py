"""Tests of the `heliograph-admin` console script as a wrapper over Django's commands."""

from __future__ import annotations

from pathlib import Path

from tests.commands.conftest import ADMIN, Run


def test_console_script_is_installed() -> None:
    assert ADMIN.exists()


def test_help_lists_operator_commands(admin: Run) -> None:
    result = admin("help")

    listed = set(result.stdout.split())
    assert result.returncode == 0
    assert {"serve", "worker", "createuser", "page", "token", "demo", "migrate"} <= listed


def test_migrate_passes_through(admin: Run, data_dir: Path) -> None:
    result = admin("showmigrations", "domain")

    assert result.returncode == 0, result.stderr
    assert "[X] 0001_initial" in result.stdout
    assert (data_dir / "heliograph.sqlite3").exists()


def test_demo_from_command_line_is_idempotent(admin: Run) -> None:
    first = admin("demo")
    second = admin("demo")
    listed = admin("page", "list")

    assert first.returncode == 0, first.stderr
    assert "Created the demo page 'demo'" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "already exists" in second.stdout
    assert listed.stdout.splitlines() == [
        "demo\tHeliograph Demo\tEurope/Zurich\towners: demo@example.com",
        "github\tGitHub (sample)\tEtc/UTC\towners: demo@example.com",
    ]


def test_unknown_command_fails_without_traceback(admin: Run) -> None:
    result = admin("no-such-command")

    assert result.returncode == 1
    assert "Unknown command: 'no-such-command'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unmigrated_database_named_without_traceback(tmp_path: Path) -> None:
    import subprocess

    from tests.commands.conftest import admin_environment

    result = subprocess.run([str(ADMIN), "page", "list"], env=admin_environment(tmp_path),
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    assert "run 'heliograph-admin migrate' first" in result.stderr
    assert str(tmp_path) in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_named_without_traceback(tmp_path: Path) -> None:
    import subprocess

    from tests.commands.conftest import admin_environment

    environment = admin_environment(tmp_path) | {"LOG_LEVEL": "LOUD"}
    result = subprocess.run([str(ADMIN), "check"], env=environment, capture_output=True,
                            text=True, timeout=60)

    assert result.returncode == 1
    assert "LOG_LEVEL='LOUD' is not allowed" in result.stderr
    assert "Traceback" not in result.stderr
