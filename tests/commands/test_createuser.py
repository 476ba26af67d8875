"""Tests of `heliograph-admin createuser`."""

from __future__ import annotations

import os
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from heliograph.accounts.models import User
from tests.commands.conftest import ADMIN, Run, admin_environment


class TerminalInput(StringIO):
    """Standard input that reports itself as a terminal."""

    def isatty(self) -> bool:
        return True


def run_createuser(*args: str, stdin: StringIO | None) -> str:
    output = StringIO()
    call_command("createuser", *args, stdin=stdin, stdout=output)
    return output.getvalue()


def test_createuser_reads_password_line(db: None) -> None:
    output = run_createuser("--email", "Alice@Example.com", "--password-stdin",
                            stdin=StringIO("correct horse battery\nignored second line\n"))

    user = User.objects.get()
    assert user.email == "alice@example.com"
    assert user.check_password("correct horse battery")
    assert output == "Created user alice@example.com.\n"


def test_createuser_empty_stdin_names_option(db: None) -> None:
    with pytest.raises(CommandError) as raised:
        run_createuser("--email", "alice@example.com", "--password-stdin", stdin=StringIO(""))

    assert str(raised.value).startswith("--password-stdin: ")
    assert not User.objects.exists()


def test_createuser_weak_password_names_option(db: None) -> None:
    with pytest.raises(CommandError) as raised:
        run_createuser("--email", "alice@example.com", "--password-stdin",
                       stdin=StringIO("12345\n"))

    assert str(raised.value).startswith("--password-stdin: ")
    assert "too short" in str(raised.value)
    assert not User.objects.exists()


def test_createuser_invalid_email_names_option(db: None) -> None:
    with pytest.raises(CommandError) as raised:
        run_createuser("--email", "not-an-address", "--password-stdin",
                       stdin=StringIO("correct horse battery\n"))

    assert str(raised.value).startswith("--email: ")
    assert not User.objects.exists()


def test_createuser_existing_email_keeps_user(owner: User) -> None:
    with pytest.raises(CommandError) as raised:
        run_createuser("--email", "OWNER@example.com", "--password-stdin",
                       stdin=StringIO("another long password\n"))

    owner.refresh_from_db()
    assert str(raised.value).startswith("--email: ")
    assert "already exists" in str(raised.value)
    assert owner.check_password("correct horse 42")


def test_createuser_without_terminal_generates_password(db: None) -> None:
    output = run_createuser("--email", "alice@example.com", stdin=StringIO(""))

    password = output.split("Password: ", 1)[1].split("\n", 1)[0]
    assert len(password) >= 16
    assert User.objects.get().check_password(password)


def test_createuser_terminal_prompts_twice(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["typed at the prompt", "typed at the prompt"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    output = run_createuser("--email", "alice@example.com", stdin=TerminalInput())

    assert User.objects.get().check_password("typed at the prompt")
    assert "Password:" not in output


def test_createuser_terminal_mismatch_creates_nothing(db: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["typed at the prompt", "typed differently"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    with pytest.raises(CommandError):
        run_createuser("--email", "alice@example.com", stdin=TerminalInput())

    assert not User.objects.exists()


def login_works(data_dir: Path, email: str, password: str) -> bool:
    check = (
        "from django.contrib.auth import authenticate; "
        f"print(authenticate(username={email!r}, password={password!r}) is not None)"
    )
    result = subprocess.run([str(ADMIN), "shell", "--command", check],
                            env=admin_environment(data_dir), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=60, check=True)
    return result.stdout.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize("stdin", ["devnull", "closed"])
def test_createuser_without_terminal_never_blocks(data_dir: Path, stdin: str) -> None:
    result = subprocess.run(
        [str(ADMIN), "createuser", "--email", "alice@example.com"],
        env=admin_environment(data_dir), capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL if stdin == "devnull" else None,
        # Close descriptor 0 in the child, so that it starts with no standard input at all.
        preexec_fn=(lambda: os.close(0)) if stdin == "closed" else None,
    )

    assert result.returncode == 0, result.stderr
    password = result.stdout.split("Password: ", 1)[1].split("\n", 1)[0]
    assert login_works(data_dir, "alice@example.com", password)


def test_createuser_password_from_pipe(admin: Run, data_dir: Path) -> None:
    result = admin("createuser", "--email", "alice@example.com", "--password-stdin",
                   input="piped in passphrase\n")

    assert result.returncode == 0, result.stderr
    assert "Password:" not in result.stdout
    assert login_works(data_dir, "alice@example.com", "piped in passphrase")
