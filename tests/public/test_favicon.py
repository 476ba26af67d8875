"""The favicon: an SVG in the shape and colour of the page's current state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State
from heliograph.public.presenter import PALETTES


def test_favicon_operational(page: Page, get: Callable[..., Any]) -> None:
    response = get("/favicon.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert PALETTES["light"].states["operational"].mark.encode() in response.content
    assert b"<circle" in response.content


def test_favicon_follows_open_incident(
    page: Page, open_incident: Callable[..., Incident], get: Callable[..., Any]
) -> None:
    open_incident(state=State.MAJOR_OUTAGE)

    response = get("/favicon.svg")

    assert PALETTES["light"].states["major_outage"].mark.encode() in response.content
    assert b"<circle" not in response.content


def test_favicon_current_version_is_cached(page: Page, get: Callable[..., Any]) -> None:
    version = Page.objects.get().version

    response = get(f"/favicon.svg?v={version}")

    assert "max-age=86400" in response["Cache-Control"]


def test_favicon_old_version_is_not_cached(page: Page, get: Callable[..., Any]) -> None:
    response = get("/favicon.svg?v=0")

    assert "no-cache" in response["Cache-Control"]
