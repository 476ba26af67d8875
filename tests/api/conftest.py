"""API fixtures: a client that sends a bearer token, and tokens for each persona."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.domain.models import Page
from tests.api.support import NOW


class ApiClient:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _send(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        return getattr(self.client, method)(
            url, data=data, content_type="application/json", headers=self.headers, **extra
        )

    def get(self, path: str, **extra: Any) -> Any:
        return self.client.get(path if path.startswith("/api/") else f"/api/v1{path}",
                               headers=self.headers, **extra)

    def post(self, path: str, body: Any = None) -> Any:
        return self._send("post", path, body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self._send("patch", path, body)

    def delete(self, path: str) -> Any:
        return self._send("delete", path)


@pytest.fixture
def api_for() -> Callable[..., ApiClient]:
    def make(user: User, pages: list[Page], *, write: bool = True) -> ApiClient:
        _, raw = ApiToken.issue(user, pages, can_write=write)
        return ApiClient(raw)

    return make


@pytest.fixture
def api(api_for: Callable[..., ApiClient], owner: User, page: Page) -> ApiClient:
    """The page owner's client with a write token."""
    return api_for(owner, [page])


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Freeze the clock at `NOW`; tests move it with `clock.move_to` or `clock.shift`."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
