"""Fixtures of the client tests: the real `heliograph` CLI against pytest-django's live server.

Each test gets an empty config directory (XDG_CONFIG_HOME and HOME point into tmp_path), so
that no file of the machine running the tests is read or written.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.client.cli import heliograph
from heliograph.domain.models import Page

# Variables of the machine that must not reach the command under test.
CLEARED = ("HELIOGRAPH_URL", "HELIOGRAPH_TOKEN", "HELIOGRAPH_PAGE", "HELIOGRAPH_DEBUG",
           "NO_COLOR", "FORCE_COLOR")


@dataclass
class Run:
    """The outcome of one run of the CLI."""

    code: int
    stdout: str
    stderr: str
    result: Result

    def json(self) -> Any:
        import json

        return json.loads(self.stdout)


Cli = Callable[..., Run]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    return tmp_path


@pytest.fixture
def make_token() -> Callable[..., str]:
    def make(user: User, pages: list[Page], *, write: bool = True) -> str:
        _, raw = ApiToken.issue(user, pages, can_write=write)
        return raw

    return make


@pytest.fixture
def token(make_token: Callable[..., str], owner: User, page: Page) -> str:
    """A write token of the page's owner."""
    return make_token(owner, [page])


def environment(home: Path, **variables: str | None) -> dict[str, str | None]:
    values: dict[str, str | None] = dict.fromkeys(CLEARED)
    values.update({"XDG_CONFIG_HOME": str(home / "config"), "HOME": str(home),
                   "COLUMNS": "200"})
    values.update(variables)
    return values


@pytest.fixture
def run_cli(home: Path) -> Cli:
    """Run `heliograph ARGS...` in this process with the given environment variables."""

    def run(*args: str, input: str | None = None, **variables: str | None) -> Run:
        result = CliRunner().invoke(heliograph, list(args), input=input,
                                    env=environment(home, **variables))
        # Every failure must be a message and an exit code, never an exception's traceback.
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"heliograph {' '.join(args)} raised "
                                 f"{result.exception!r}") from result.exception
        return Run(result.exit_code, result.stdout, result.stderr, result)

    return run


@pytest.fixture
def cli(run_cli: Cli, live_server: Any, token: str, page: Page) -> Cli:
    """Run the CLI as the page's owner, with the URL and token in the environment."""

    def run(*args: str, input: str | None = None, **variables: str | None) -> Run:
        variables.setdefault("HELIOGRAPH_URL", live_server.url)
        variables.setdefault("HELIOGRAPH_TOKEN", token)
        return run_cli(*args, input=input, **variables)

    return run


@pytest.fixture
def closed_port() -> int:
    """Return a port on 127.0.0.1 that was just bound and closed, so nothing listens there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return port
