"""The public status page: front page, incidents, maintenances, history, live refresh, favicon.

Each view is reached at a page's own host (`/incidents/5`) or on the main host under
`/p/<slug>/` (`/p/acme/incidents/5`); `PageRoute.url` builds links for whichever was used.
Pages render in the page's language and time zone, with every time naming its zone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from heliograph.domain.queries import page_status, page_zone
from heliograph.edge import marking as edge_marking
from heliograph.public import presenter, screens
from heliograph.public.routing import PATH_PREFIX, PageRoute, resolve_route
from heliograph.public.timefmt import time_element, zone_abbreviations

# The live endpoint's ETag changes with the page's version and at least every this many
# seconds. Figures that change with time alone (today's minutes down during an open incident,
# a maintenance window that has passed) therefore reach open pages within this delay.
LIVE_ETAG_SECONDS = 300
# How often the front page's script requests changes, in milliseconds.
LIVE_INTERVAL_MS = 30_000

PageView = Callable[..., HttpResponse]


def page_context(route: PageRoute, now: dt.datetime) -> dict[str, Any]:
    """Return what every page's layout needs: header, theme, zone, icons and favicon."""
    page = route.page
    return {
        "page": page,
        "route": route,
        "zone": page_zone(page),
        "header": presenter.header_colours(page),
        "sprite": presenter.icon_sprite(),
        "favicon_url": f"{route.url('favicon.svg')}?v={page.version}",
        "main_site_url": page.main_site_url if _is_web_url(page.main_site_url) else "",
        "updated": time_element(now, page_zone(page)),
        "zone_abbreviations": json.dumps(zone_abbreviations(page_zone(page), now)),
    }


def _is_web_url(url: str) -> bool:
    # The page settings accept only http and https. This check guards rows written otherwise.
    return urlsplit(url).scheme in {"http", "https"}


def not_found(request: HttpRequest, route: PageRoute | None, message: str = "") -> HttpResponse:
    """Render the friendly 404 page, with the page's header when the page is known."""
    context: dict[str, Any] = {"message": message}
    language = settings.LANGUAGE_CODE
    if route is not None:
        context |= page_context(route, timezone.now())
        language = route.page.language
    with translation.override(language):
        response = render(request, "public/not_found.html", context, status=404)
    response["Content-Language"] = language
    return response


def landing(request: HttpRequest) -> HttpResponse:
    """Render the main host's page when no default page is set: what this server is."""
    return render(request, "public/landing.html", {
        "domain": settings.HELIOGRAPH_DOMAIN,
        "example": f"{settings.HELIOGRAPH_BASE_URL}{PATH_PREFIX}<slug>/",
    })


def public_view(*, landing_at_root: bool = False) -> Callable[[PageView], PageView]:
    """Route the request to its page, render in the page's language, and 404 kindly.

    The wrapped view receives the `PageRoute` in place of the `slug` URL argument. With
    `landing_at_root`, the main host without a default page shows the landing page instead
    of a 404.
    """

    def decorate(view: PageView) -> PageView:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, slug: str | None = None,
                    **kwargs: Any) -> HttpResponse:
            try:
                route = resolve_route(request, slug)
            except Http404 as error:
                return not_found(request, None, _message(error))
            if route is None:
                return landing(request) if landing_at_root else not_found(request, None)
            try:
                with translation.override(route.page.language):
                    response = view(request, route, *args, **kwargs)
            except Http404 as error:
                return not_found(request, route, _message(error))
            response.setdefault("Content-Language", route.page.language)
            edge_marking.label(request, response, route.page, timezone.now())
            return response

        # The views only read, so a POST gets 405 with an Allow header; without the exemption
        # the CSRF check would reject it with 403 first.
        return csrf_exempt(require_safe(wrapper))

    return decorate


def _message(error: Http404) -> str:
    # Every Http404 raised by the public views carries a sentence meant for the reader.
    return str(error.args[0]) if error.args else ""


@public_view(landing_at_root=True)
@gzip_page
def front(request: HttpRequest, route: PageRoute) -> HttpResponse:
    now = timezone.now()
    context = page_context(route, now) | screens.front_screen(route.page, now)
    context |= {
        "etag": live_etag(route, now),
        "live_url": route.url("live"),
        "live_interval": LIVE_INTERVAL_MS,
    }
    return render(request, "public/front.html", context)


@public_view()
def incident(request: HttpRequest, route: PageRoute, incident_id: int) -> HttpResponse:
    now = timezone.now()
    context = page_context(route, now) | screens.incident_screen(route.page, incident_id)
    return render(request, "public/incident.html", context)


@public_view()
def maintenance(request: HttpRequest, route: PageRoute, maintenance_id: int) -> HttpResponse:
    now = timezone.now()
    context = page_context(route, now) | screens.maintenance_screen(
        route.page, maintenance_id
    )
    return render(request, "public/maintenance.html", context)


@public_view()
@gzip_page
def history(request: HttpRequest, route: PageRoute) -> HttpResponse:
    now = timezone.now()
    number = screens.parse_page_number(request.GET.get("page"))
    context = page_context(route, now) | screens.history_screen(route.page, number, now)
    return render(request, "public/history.html", context)


@public_view()
def past_maintenances(request: HttpRequest, route: PageRoute) -> HttpResponse:
    now = timezone.now()
    number = screens.parse_page_number(request.GET.get("page"))
    context = page_context(route, now) | screens.past_maintenances_screen(
        route.page, number
    )
    return render(request, "public/past_maintenances.html", context)


def live_etag(route: PageRoute, now: dt.datetime) -> str:
    """Return the ETag of the front page's dynamic parts, made of the page's version and a slot.

    The caller reads the page (and its version) before the content, so content is never older
    than its tag. At worst, a change made in between is sent a second time.
    """
    slot = int(now.timestamp()) // LIVE_ETAG_SECONDS
    return f'"{route.page.pk}-{route.page.version}-{slot}"'


def _matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    tags = [tag.removeprefix("W/") for tag in parse_etags(header)]
    return "*" in tags or etag in tags


@public_view()
@gzip_page
def live(request: HttpRequest, route: PageRoute) -> HttpResponse:
    """Return the front page's dynamic parts as JSON, or 304 when the ETag still matches."""
    now = timezone.now()
    etag = live_etag(route, now)
    if _matches(request, etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        context = page_context(route, now) | screens.front_screen(route.page, now)
        state = context["status"].banner.state
        body = {
            "etag": etag,
            "version": route.page.version,
            "state": str(state),
            "state_label": presenter.label(str(state)),
            "favicon": context["favicon_url"],
            "html": render_to_string("public/_live.html", context, request),
        }
        response = HttpResponse(json.dumps(body), content_type="application/json")
    response["ETag"] = etag
    patch_cache_control(response, no_cache=True)
    return response


@public_view()
def favicon(request: HttpRequest, route: PageRoute) -> HttpResponse:
    """Return an SVG favicon in the shape and colour of the page's current state.

    The front page links it with `?v=<version>`. Any change of state bumps the version, so one
    such URL always shows the same state and browsers may keep it for a day.
    """
    state = page_status(route.page).banner.state
    response = HttpResponse(presenter.favicon_svg(state), content_type="image/svg+xml")
    if request.GET.get("v") == str(route.page.version):
        patch_cache_control(response, public=True, max_age=86_400)
    else:
        patch_cache_control(response, no_cache=True)
    return response

