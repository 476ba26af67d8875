"""Serve the uploaded logos of pages.

Only files that a page currently uses are served, with a content type fixed by their
extension (the console stores nothing else), `nosniff`, and a policy that keeps an SVG from
running anything even when opened on its own.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from heliograph.domain.models import Page

_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".svg": "image/svg+xml"}


@require_safe
def logo(request: HttpRequest, name: str) -> HttpResponseBase:
    stored = f"logos/{name}"
    page = Page.objects.filter(logo=stored).only("logo").first()
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if page is None or extension not in _TYPES or not page.logo.storage.exists(stored):
        raise Http404
    response = FileResponse(page.logo.storage.open(stored, "rb"),
                            content_type=_TYPES[extension])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    # A new upload gets a new name, so a logo's URL can be cached for long.
    response["Cache-Control"] = "public, max-age=86400"
    return response


