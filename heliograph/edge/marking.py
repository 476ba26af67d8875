"""The Django side of the response cache: label a public response with its page and lifetime.

The ASGI layer in `heliograph.edge.app` sends the header `X-Heliograph-Edge-Render: 1` with
each request that it may store the answer to. A public view answering such a request with a
200 adds `X-Heliograph-Edge` (page id, page version, expiry); the layer reads and removes it.
Requests without the render header, such as those of the WSGI server or the test client, get
no label.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Min, Q
from django.http import HttpRequest, HttpResponseBase

from heliograph.domain.models import Maintenance, Page

RENDER_META_KEY = "HTTP_X_HELIOGRAPH_EDGE_RENDER"
LABEL_HEADER = "X-Heliograph-Edge"
# The longest time a stored response is served without rendering it again, in seconds. Pages
# show the time they were rendered and per-day figures, so even a page that nobody changes is
# rendered about once a minute per address.
MAX_LIFETIME_SECONDS = 60


def label(request: HttpRequest, response: HttpResponseBase, page: Page, now: dt.datetime) -> None:
    """Label a 200 response to a request of the ASGI layer as storable for `page`."""
    if request.META.get(RENDER_META_KEY) != "1" or response.status_code != 200:
        return
    expires = next_change(page, now)
    response[LABEL_HEADER] = f"{page.pk} {page.version} {expires.timestamp():.3f}"


def next_change(page: Page, now: dt.datetime) -> dt.datetime:
    """Return when the page's public views next change with time alone.

    That is the earliest of: the next start or end of one of its maintenance windows, the next
    midnight in the page's time zone (when the per-day strips move on), and `now` plus
    MAX_LIFETIME_SECONDS.
    """
    moments = [now + dt.timedelta(seconds=MAX_LIFETIME_SECONDS), next_midnight(page, now)]
    bounds = Maintenance.objects.filter(page=page).aggregate(
        start=Min("starts_at", filter=Q(starts_at__gt=now)),
        end=Min("ends_at", filter=Q(ends_at__gt=now)),
    )
    moments.extend(moment for moment in bounds.values() if moment is not None)
    return min(moments)


def next_midnight(page: Page, now: dt.datetime) -> dt.datetime:
    """Return the next midnight in the page's time zone, as an aware UTC datetime.

    Computed on the local date and converted back, so a day of 23 or 25 hours (a change of
    clocks) ends at the right instant.
    """
    try:
        zone = zoneinfo.ZoneInfo(page.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(zone)
    tomorrow = local.date() + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(0, 0), tzinfo=zone)
    return midnight.astimezone(dt.UTC)
