"""Fixtures of the Runstatus API tests: credentials for each persona and signed clients."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from heliograph.accounts.models import User
from heliograph.domain.models import Page
from heliograph.runstatus.models import Credential
from tests.runstatus.support import RunstatusClient


@pytest.fixture
def client_for(db: None) -> Callable[..., RunstatusClient]:
    """Return a signed client of a new credential of `user`, limited to `pages` if given."""

    def make(user: User, pages: list[Page] | None = None) -> RunstatusClient:
        credential, secret = Credential.issue(user, pages)
        return RunstatusClient(credential.key, secret)

    return make


@pytest.fixture
def api(client_for: Callable[..., RunstatusClient], owner: User, page: Page) -> RunstatusClient:
    """The client of a credential of the owner of `acme`, on all their pages."""
    return client_for(owner)


@dataclass(frozen=True)
class LiveApi:
    """The Runstatus API of pytest-django's live server, and a pair of the owner of `acme`."""

    endpoint: str
    key: str
    secret: str


@pytest.fixture
def live_api(live_server: Any, settings: Any, owner: User, page: Page) -> LiveApi:
    """Serve the API on the live server; its links point there, as HELIOGRAPH_BASE_URL would."""
    settings.HELIOGRAPH_BASE_URL = live_server.url
    credential, secret = Credential.issue(owner, None)
    return LiveApi(f"{live_server.url}/runstatus", credential.key, secret)


def client_environment(home: Path) -> dict[str, str]:
    """Return the environment of a client process: its own HOME, and no proxy for 127.0.0.1."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            "LANG": "C.UTF-8", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
