"""Helpers shared by the incident and maintenance functions."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Protocol

from heliograph.domain.errors import InvalidValue, RuleViolation
from heliograph.domain.models import Page, Service
from heliograph.domain.validation import check_aware


class Timed(Protocol):
    at: dt.datetime


def event_time(at: dt.datetime | None, *, previous: Timed | None, now: dt.datetime) -> dt.datetime:
    """Return the time of a new event: now, or an earlier time the author gives.

    An earlier time may not be before the previous event, and no time may be in the future.
    """
    if at is None:
        return max(now, previous.at) if previous is not None else now
    at = check_aware(at, field="at")
    if at > now:
        raise RuleViolation(
            "event_in_future",
            f"The event time {at.isoformat()} is in the future: give a time up to now.",
            field="at",
        )
    if previous is not None and at < previous.at:
        raise RuleViolation(
            "event_before_previous",
            f"The event time {at.isoformat()} is before the previous event "
            f"({previous.at.isoformat()}): give a later time.",
            field="at",
        )
    return at


def resolve_services(page: Page, services: Iterable[int | Service]) -> list[Service]:
    """Return the page's services named by id or instance; reject one of another page."""
    wanted: list[int] = []
    for item in services:
        service_id = item.pk if isinstance(item, Service) else item
        if not isinstance(service_id, int) or isinstance(service_id, bool):
            raise InvalidValue(
                "invalid_service", f"{item!r} is not a service id.", field="services"
            )
        if service_id not in wanted:
            wanted.append(service_id)
    # An id outside the 64-bit range of primary keys names no service, and would make the
    # database driver raise OverflowError instead of the error below.
    in_range = [service_id for service_id in wanted if 0 < service_id < 2**63]
    found = {service.pk: service
             for service in Service.objects.filter(page=page, pk__in=in_range)}
    missing = [service_id for service_id in wanted if service_id not in found]
    if missing:
        raise InvalidValue(
            "unknown_service",
            f"No service with id {', '.join(map(str, missing))} on this page: list the page's "
            "services for their ids.",
            field="services",
        )
    return [found[service_id] for service_id in wanted]


def cover_history(page: Page, services: Iterable[Service], since: dt.datetime) -> None:
    """Move each service's first day back so that it covers an outage starting at `since`."""
    first_day = since.astimezone(zoneinfo.ZoneInfo(page.time_zone)).date()
    ids = [service.pk for service in services if service.start_date > first_day]
    if ids:
        Service.objects.filter(pk__in=ids).update(start_date=first_day)
        for service in services:
            if service.pk in ids:
                service.start_date = first_day
