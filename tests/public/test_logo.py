"""The public route that serves a page's uploaded logo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from heliograph.console import logos
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
       b'<rect width="10" height="10"/></svg>')


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


def stored_logo(page: Page, owner: Any, content: bytes = SVG, extension: str = "svg") -> str:
    logos.store(page, logos.CleanLogo(content=content, extension=extension, width=10,
                                      height=10), actor=Actor.of_user(owner))
    return page.logo.url


def test_logo_served_with_safe_headers(page: Page, owner: Any, get: Any) -> None:
    url = stored_logo(page, owner)

    response = get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SVG
    assert response["Content-Type"] == "image/svg+xml"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_logo_shown_on_front_page(page: Page, owner: Any, get: Any) -> None:
    url = stored_logo(page, owner)

    assert f'src="{url}"'.encode() in get("/").content


def test_replaced_logo_no_longer_served(page: Page, owner: Any, get: Any) -> None:
    old_url = stored_logo(page, owner)
    stored_logo(page, owner)

    assert get(old_url).status_code == 404


@pytest.mark.parametrize("path", [
    "/media/logos/unknown.svg",
    "/media/logos/..%2F..%2Fsecret_key",
    "/media/logos/%2e%2e",
])
def test_unknown_logo_is_404(page: Page, get: Any, path: str) -> None:
    assert get(path).status_code == 404


def test_file_of_no_page_is_404(page: Page, get: Any, media_root: Path) -> None:
    (media_root / "logos").mkdir(parents=True)
    (media_root / "logos" / "stray.svg").write_bytes(SVG)

    assert get("/media/logos/stray.svg").status_code == 404
