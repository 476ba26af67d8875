"""The page's current status, and its outage figures per day."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router

from heliograph.api import access, present
from heliograph.api.errors import ApiError
from heliograph.api.routes.common import ERRORS
from heliograph.api.schemas import OutagesOut, StatusOut
from heliograph.domain.queries import local_today, outage_figures, page_status
from heliograph.domain.validation import EARLIEST, LATEST

router = Router(tags=["status"])

# The maximum number of days one outage request may cover, which bounds its cost.
MAX_OUTAGE_DAYS = 400


@router.get("/{slug}/status", response={200: StatusOut, **ERRORS},
            summary="The banner, service states, open incidents and maintenances")
def get_status(request: HttpRequest, slug: str) -> Any:
    page = access.get_page(request, slug)
    return present.status_body(page_status(page))


@router.get("/{slug}/outages", response={200: OutagesOut, **ERRORS},
            summary="Minutes degraded and down per service and per local day")
def get_outages(
    request: HttpRequest,
    slug: str,
    start: Annotated[dt.date | None, Query(None, description="First local day (inclusive); "
                                           "default 89 days before end.")] = None,
    end: Annotated[dt.date | None, Query(None, description="Last local day (inclusive); "
                                         "default today in the page's time zone.")] = None,
) -> Any:
    """Report per local day of the page's time zone the minutes degraded, partially and
    completely down, the day's length and the uptime.

    Days before a service's start_date, and days still to come, have `no_data` true and a null
    uptime.
    """
    page = access.get_page(request, slug)
    end = end or local_today(page)
    start = start or end - dt.timedelta(days=89)
    if end < start:
        raise ApiError(422, "invalid_range", "end is before start: give an end on or after "
                       "the start.", "end")
    if (end - start).days + 1 > MAX_OUTAGE_DAYS:
        raise ApiError(422, "range_too_long", f"The range covers more than {MAX_OUTAGE_DAYS} "
                       "days: ask for a shorter range.", "start")
    if start.year < EARLIEST or end.year > LATEST:
        raise ApiError(422, "invalid_range",
                       f"The dates must be between {EARLIEST} and {LATEST}.", "start")
    figures = outage_figures(page, start, end)
    return {"time_zone": page.time_zone, "start": start, "end": end,
            "services": [present.figures_body(item) for item in figures]}
