"""Every time on every public view is in the page's zone and names it."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import formats

from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import State, Status
from tests.public.conftest import NOW, local
from tests.public.dom import Node, parse

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


def expected_text(element: Node) -> str:
    """Return what a `<time>` should read: its instant in Chicago, with CST or CDT."""
    instant = dt.datetime.fromisoformat(element.attrs["datetime"].replace("Z", "+00:00"))
    local_time = instant.astimezone(CHICAGO)
    clock = f"{local_time:%H:%M} {local_time.tzname()}"
    if element.attrs["data-f"] == "t":
        return clock
    return f"{formats.date_format(local_time.date(), 'DATE_FORMAT')}, {clock}"


def text_outside_times(node: Node) -> str:
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            parts.append(child)
        elif child.tag not in {"time", "style", "script"}:
            parts.append(text_outside_times(child))
    return " ".join(parts)


def check_times(dom: Node) -> list[str]:
    """Assert that every clock time sits in a `<time>` that agrees with its zone label."""
    times = dom.find_all("time")
    for element in times:
        assert element.text() == expected_text(element), element.attrs
    assert CLOCK_TIME.findall(text_outside_times(dom)) == []
    return [element.text() for element in times]


@pytest.fixture
def across_dst(page: Page, actor: Actor, add_service: Callable[..., Service],
               open_incident: Callable[..., Incident], past_incident: Callable[..., Incident],
               schedule: Callable[..., Maintenance]) -> dict[str, Any]:
    """Data on both sides of Chicago's DST changes of 2026 (March 8 and November 1)."""
    api = add_service("API", start_date=dt.date(2025, 1, 1))
    winter = past_incident(local(page, 2026, 1, 20, 9, 0), local(page, 2026, 1, 20, 10, 0),
                           title="Winter", services=[api])
    spring = incidents.backfill_incident(
        page, title="Spring", services=[api], actor=actor,
        events=[
            PastEvent(at=local(page, 2026, 3, 7, 23, 0), status=Status.INVESTIGATING,
                      text="Down.", state=State.MAJOR_OUTAGE),
            PastEvent(at=local(page, 2026, 3, 8, 3, 30), status=Status.MONITORING,
                      text="Watching.", state=State.DEGRADED_PERFORMANCE),
            PastEvent(at=local(page, 2026, 3, 8, 4, 0), status=Status.RESOLVED, text="Fixed."),
        ],
    )
    current = open_incident("Now", services=[api], at=NOW - dt.timedelta(hours=1))
    soon = schedule(NOW + dt.timedelta(days=3), NOW + dt.timedelta(days=3, hours=2),
                    title="Soon")
    autumn = schedule(local(page, 2026, 10, 31, 23, 0), local(page, 2026, 11, 1, 3, 0),
                      title="Autumn")
    done = schedule(local(page, 2026, 2, 1, 22, 0), local(page, 2026, 2, 2, 1, 0), title="Done")
    maintenances.close_maintenance(done, actor=actor)
    return {"winter": winter, "spring": spring, "current": current, "soon": soon,
            "autumn": autumn, "done": done}


def test_times_front_page(across_dst: dict[str, Any], get_dom: Callable[..., Node]) -> None:
    times_shown = check_times(get_dom("/"))

    assert "June 15, 2026, 11:00 CDT" in times_shown
    assert "June 18, 2026, 12:00 CDT" in times_shown


def test_times_incident_page_across_dst(across_dst: dict[str, Any],
                                        get_dom: Callable[..., Node]) -> None:
    times_shown = check_times(get_dom(f"/incidents/{across_dst['spring'].pk}"))

    assert "March 7, 2026, 23:00 CST" in times_shown
    assert "March 8, 2026, 03:30 CDT" in times_shown
    assert "March 8, 2026, 04:00 CDT" in times_shown


def test_times_maintenance_page_across_dst(across_dst: dict[str, Any],
                                           get_dom: Callable[..., Node]) -> None:
    times_shown = check_times(get_dom(f"/maintenances/{across_dst['autumn'].pk}"))

    assert times_shown[:2] == ["Oct. 31, 2026, 23:00 CDT", "Nov. 1, 2026, 03:00 CST"]


def test_times_history(across_dst: dict[str, Any], get_dom: Callable[..., Node]) -> None:
    times_shown = check_times(get_dom("/history"))

    assert "Jan. 20, 2026, 09:00 CST" in times_shown
    assert "10:00 CST" in times_shown


def test_times_past_maintenances(across_dst: dict[str, Any],
                                 get_dom: Callable[..., Node]) -> None:
    times_shown = check_times(get_dom("/maintenances"))

    assert times_shown[:2] == ["Feb. 1, 2026, 22:00 CST", "Feb. 2, 2026, 01:00 CST"]


def test_times_live_fragment(across_dst: dict[str, Any], get: Callable[..., Any]) -> None:
    fragment = parse(json.loads(get("/live").content)["html"])

    assert "June 15, 2026, 11:00 CDT" in check_times(fragment)


def test_times_zone_named_in_footer(page: Page, get_dom: Callable[..., Node]) -> None:
    note = get_dom("/").one("div", cls="zone-note")

    assert note.attrs["data-page-zone"] == "America/Chicago"
    apostrophe = "\N{RIGHT SINGLE QUOTATION MARK}"
    expected = f"Times are shown in the page{apostrophe}s time zone, America/Chicago."
    assert expected in note.text()


def test_times_utc_page_says_utc(make_page: Callable[..., Page],
                                 get_dom: Callable[..., Node]) -> None:
    make_page("utc", title="UTC page", time_zone="UTC")

    noscript = get_dom("/", "utc.localhost").one("noscript")

    assert "Last updated June 15, 2026, 17:00 UTC." in noscript.text()
