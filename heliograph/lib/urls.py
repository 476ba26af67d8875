"""Absolute URLs of pages, built from the configured base URL and domain."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings


class HasAddress(Protocol):
    slug: str
    custom_domain: str | None


def public_url(page: HasAddress) -> str:
    """Return the public address of a page, ending with "/".

    A custom domain wins; otherwise the page lives at <slug>.<HELIOGRAPH_DOMAIN>, with the scheme
    and port of HELIOGRAPH_BASE_URL.
    """
    base = urlsplit(settings.HELIOGRAPH_BASE_URL)
    scheme = base.scheme or "https"
    if page.custom_domain:
        return f"{scheme}://{page.custom_domain}/"
    port = f":{base.port}" if base.port else ""
    return f"{scheme}://{page.slug}.{settings.HELIOGRAPH_DOMAIN}{port}/"
