"""Machine-readable views of a page for feed readers, calendars and other sites.

`/history.atom` and `/history.rss` (one entry per update), `/maintenances.ics`, `/badge.svg`
(`?service=ID` for one service) and `/embed`, a tiny HTML page for an `<iframe>`. Each has a
short `Cache-Control` and a weak ETag made of the page's version, which every change to the page
bumps, so a conditional request gets a 304 before anything else is read.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.gzip import gzip_page

from heliograph.domain.queries import page_status
from heliograph.domain.vocab import Theme
from heliograph.lib import plaintext
from heliograph.public import badge as badges
from heliograph.public import calendar, feeds, presenter
from heliograph.public.feeds import AbsoluteUrl
from heliograph.public.routing import PageRoute
from heliograph.public.views import public_view

# Readers and proxies may reuse a response for this many seconds without asking again.
MAX_AGE = 60
# The calendar's content also changes with time alone: maintenances leave the "recent past"
# window and overdue ones turn tentative. Its ETag changes at least this often, in seconds.
CALENDAR_ETAG_SECONDS = 3600
# Ids fit a signed 64-bit integer. A `?service=` value may carry leading zeros, up to this
# many digits in all.
MAX_ID = 2**63 - 1
MAX_ID_DIGITS = 40


def format_etag(route: PageRoute, kind: str, *extra: object) -> str:
    """Return the weak ETag of one format of a page: kind, page id, version and any `extra`.

    The tag is weak because it names the content of a version, not its bytes, which differ
    with the gzip encoding. Django's gzip step would weaken a strong tag on a 200 but not on
    the 304 that follows, and both must carry the same tag.
    """
    parts = [kind, route.page.pk, route.page.version, *extra]
    return 'W/"' + "-".join(str(part) for part in parts) + '"'


def _absolute(request: HttpRequest, route: PageRoute) -> AbsoluteUrl:
    """Return a function that builds absolute URLs on the host and prefix the request used."""

    def build(*parts: object) -> str:
        return request.build_absolute_uri(route.url(*parts))

    return build


def _conditional(request: HttpRequest, etag: str) -> HttpResponse | None:
    """Return a 304 (or 412) response when a precondition of the request fails, else None."""
    response: HttpResponse | None = get_conditional_response(request, etag=etag)
    return response


def _finish(response: HttpResponse, etag: str, *, gzipped: bool = True) -> HttpResponse:
    """Add the ETag and the short public caching to a 200 or 304 response.

    A view under `gzip_page` sets `gzipped`: its 304 then names Accept-Encoding in Vary as
    its 200 does, so that caches store and revalidate the same variants.
    """
    if response.status_code in {200, 304}:
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=MAX_AGE)
        if gzipped:
            patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _feed(request: HttpRequest, route: PageRoute, kind: str) -> HttpResponse:
    etag = format_etag(route, kind)
    response = _conditional(request, etag)
    if response is None:
        absolute = _absolute(request, route)
        entries = feeds.feed_entries(route.page, absolute)
        document, content_type = feeds.render_feed(
            kind, route.page, entries,
            self_url=absolute(f"history.{kind}"), front_url=absolute(""),
        )
        response = HttpResponse(document, content_type=content_type)
    return _finish(response, etag)


@public_view()
@gzip_page
def history_atom(request: HttpRequest, route: PageRoute) -> HttpResponse:
    return _feed(request, route, "atom")


@public_view()
@gzip_page
def history_rss(request: HttpRequest, route: PageRoute) -> HttpResponse:
    return _feed(request, route, "rss")


@public_view()
@gzip_page
def maintenances_ics(request: HttpRequest, route: PageRoute) -> HttpResponse:
    now = timezone.now()
    etag = format_etag(route, "ics", int(now.timestamp()) // CALENDAR_ETAG_SECONDS)
    response = _conditional(request, etag)
    if response is None:
        document = calendar.render_calendar(route.page, now, _absolute(request, route))
        response = HttpResponse(document, content_type=calendar.CONTENT_TYPE)
        response["Content-Disposition"] = f'inline; filename="{route.page.slug}-maintenance.ics"'
    return _finish(response, etag)


class BadRequest(Exception):
    """A query parameter with an invalid value; the message names it and the fix."""


def _service_id(request: HttpRequest) -> int | None:
    raw = request.GET.get("service")
    if raw is None:
        return None
    # The length check comes first, so that int() never reads a huge number.
    if (not raw.isascii() or not raw.isdigit() or len(raw) > MAX_ID_DIGITS
            or int(raw) > MAX_ID):
        raise BadRequest(
            gettext("The service parameter “%(value)s” is not a service id: use a whole "
                    "number such as ?service=12, or leave it out for the whole page.")
            % {"value": plaintext.clean(raw[:40], multiline=False)}
        )
    return int(raw)


def _bad_request(error: BadRequest) -> HttpResponse:
    response = HttpResponse(f"{error}\n", status=400, content_type="text/plain; charset=utf-8")
    patch_cache_control(response, no_cache=True)
    return response


@public_view()
@gzip_page
def badge(request: HttpRequest, route: PageRoute) -> HttpResponse:
    """Return the SVG badge of the page, or of one service with `?service=ID`."""
    try:
        service_id = _service_id(request)
    except BadRequest as error:
        return _bad_request(error)
    etag = format_etag(route, "badge", service_id if service_id is not None else "page")
    response = _conditional(request, etag)
    if response is not None:
        return _finish(response, etag)

    status = page_status(route.page)
    if service_id is None:
        content = badges.page_badge(route.page, str(status.state))
    else:
        row = next((item for item in status.services if item.service.pk == service_id), None)
        if row is None:
            raise Http404(gettext("This page has no service %(id)d.") % {"id": service_id})
        content = badges.service_badge(row.service, str(row.state))
    response = HttpResponse(badges.badge_svg(content), content_type=badges.CONTENT_TYPE)
    return _finish(response, etag)


def _theme(request: HttpRequest, default: str) -> str:
    raw = request.GET.get("theme")
    if raw is None:
        return default
    if raw not in {theme.value for theme in Theme}:
        raise BadRequest(
            gettext("The theme parameter “%(value)s” is not a theme: use light, dark or "
                    "auto, or leave it out to follow the page's setting.")
            % {"value": plaintext.clean(raw[:40], multiline=False)}
        )
    return raw


@xframe_options_exempt
@public_view()
def embed(request: HttpRequest, route: PageRoute) -> HttpResponse:
    """Render the page's state as a tiny HTML page made to be shown in an `<iframe>`.

    It works without JavaScript and loads nothing but its favicon. `?theme=light|dark|auto`
    overrides the page's theme to match the site that embeds it.
    """
    try:
        theme = _theme(request, route.page.theme)
    except BadRequest as error:
        return _bad_request(error)
    etag = format_etag(route, "embed", theme)
    response = _conditional(request, etag)
    if response is None:
        status = page_status(route.page)
        state = str(status.state)
        context: dict[str, Any] = {
            "page": route.page,
            "theme": theme,
            "state": state,
            "state_label": presenter.label(state),
            "message": status.banner.message,
            "front_url": request.build_absolute_uri(route.url("")),
            "sprite": presenter.icon_sprite(),
            "favicon_url": f"{route.url('favicon.svg')}?v={route.page.version}",
        }
        response = render(request, "public/embed.html", context)
    # Any site may show this page in a frame, because it has no forms and uses no session:
    # the view sends no X-Frame-Options and the policy sets no frame-ancestors. The page loads
    # only its favicon, so everything but that and its inline style is refused.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"
    )
    return _finish(response, etag, gzipped=False)
