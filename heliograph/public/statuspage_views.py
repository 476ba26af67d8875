"""The eight endpoints of Statuspage's public API v2, at a page's root and under `/p/<slug>/`.

Browser widgets fetch these documents from other origins, so every response, errors included,
allows any origin. Responses may be cached for `CACHE_SECONDS` and carry a weak ETag made of the
page's version. A request whose `If-None-Match` matches gets 304 before any content is read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page

from heliograph.domain.models import Page
from heliograph.public import statuspage
from heliograph.public.routing import PageRoute
from heliograph.public.views import public_view

# How long browsers and proxies may reuse a response without asking again, in seconds.
CACHE_SECONDS = 30
# Documents whose content changes with time alone (a maintenance window that ends, or comes
# within the summary's horizon) change their ETag at least this often, in seconds.
TIME_SLOT_SECONDS = 60
# How long a browser may reuse the response to a CORS preflight request, in seconds.
PREFLIGHT_MAX_AGE = 86_400

JSON_TYPE = "application/json; charset=utf-8"
NOT_FOUND_MESSAGE = (
    "No public status page is served at this address: check the host name, or use "
    "/p/<slug>/api/v2/summary.json on the main host."
)

Document = Callable[[Page, dt.datetime], Mapping[str, Any]]

# Written as \u escapes, these characters keep a document inert if something ever renders it
# as HTML or as a script; JSON parsers read the same strings back.
_INERT = str.maketrans({
    "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029",
})


def encode(document: Mapping[str, Any]) -> bytes:
    """Return the document as compact UTF-8 JSON with `<`, `>` and `&` escaped."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.translate(_INERT).encode()


def document_etag(route: PageRoute, now: dt.datetime, *, changes_with_time: bool) -> str:
    """Return the weak ETag of a document: the page and its version, and a time slot if needed.

    The route loaded the page, with its version, before the document is read, so a document
    is never older than its tag. At worst a change made in between is sent a second time.
    The tag is weak because it names the content of a version, not its bytes, which differ
    with the gzip encoding. Django's gzip step would weaken a strong tag on a 200 but not on
    the 304 that follows, and both must carry the same tag.
    """
    tag = f"sp-{route.page.pk}-{route.page.version}"
    if changes_with_time:
        tag += f"-{int(now.timestamp()) // TIME_SLOT_SECONDS}"
    return f'W/"{tag}"'


def _matches(request: HttpRequest, etag: str) -> bool:
    """Return whether If-None-Match lists `etag`, compared weakly as HTTP specifies for it."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    tags = [tag.removeprefix("W/") for tag in parse_etags(header)]
    return "*" in tags or etag.removeprefix("W/") in tags


def _allow_any_origin(response: HttpResponseBase) -> HttpResponseBase:
    response["Access-Control-Allow-Origin"] = "*"
    # Scripts on other origins may read the ETag to send it back in If-None-Match.
    response["Access-Control-Expose-Headers"] = "ETag"
    return response


def _preflight() -> HttpResponse:
    """Return the response to a CORS preflight, which a script sending If-None-Match triggers."""
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "If-None-Match"
    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def _not_found() -> HttpResponse:
    body = {"error": {"code": "not_found", "message": NOT_FOUND_MESSAGE}}
    return HttpResponse(encode(body), status=404, content_type=JSON_TYPE)


def statuspage_endpoint(document: Document, *, changes_with_time: bool = False
                        ) -> Callable[..., HttpResponseBase]:
    """Build the view that serves `document(page, now)` as a Statuspage endpoint."""

    @public_view()
    @gzip_page
    def render(request: HttpRequest, route: PageRoute) -> HttpResponse:
        now = timezone.now()
        etag = document_etag(route, now, changes_with_time=changes_with_time)
        response: HttpResponse
        if _matches(request, etag):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(encode(document(route.page, now)), content_type=JSON_TYPE)
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
        # Set on 304 responses as well, so that caches store the same variants.
        patch_vary_headers(response, ["Accept-Encoding"])
        return response

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "OPTIONS":
            return _allow_any_origin(_preflight())
        response = render(request, *args, **kwargs)
        if response.status_code == 404:
            # The page router answers an unknown or private page with the HTML 404 page.
            response = _not_found()
        return _allow_any_origin(response)

    view.__name__ = view.__qualname__ = f"{document.__name__.removesuffix('_document')}_view"
    view.__doc__ = document.__doc__
    # The endpoints only read; a POST gets 405 from the router rather than a CSRF 403.
    return csrf_exempt(view)


summary = statuspage_endpoint(statuspage.summary_document, changes_with_time=True)
status = statuspage_endpoint(statuspage.status_document)
components = statuspage_endpoint(statuspage.components_document)
incidents = statuspage_endpoint(statuspage.incidents_document)
unresolved_incidents = statuspage_endpoint(statuspage.unresolved_incidents_document)
maintenances = statuspage_endpoint(statuspage.maintenances_document)
upcoming_maintenances = statuspage_endpoint(
    statuspage.upcoming_maintenances_document, changes_with_time=True
)
active_maintenances = statuspage_endpoint(statuspage.active_maintenances_document)
