"""The history: past incidents by month and paged, day strips, figures table, uptime."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from heliograph.domain.models import Incident, Page, Service
from heliograph.domain.vocab import State
from tests.public.conftest import NOW, local
from tests.public.dom import Node, parse

TODAY = dt.date(2026, 6, 15)


def past_section(dom: Node) -> Node:
    return dom.one("section", aria_labelledby="past-heading")


def test_history_groups_past_incidents_by_month(
    page: Page, past_incident: Callable[..., Incident], open_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    past_incident(local(page, 2026, 4, 30, 23, 0), local(page, 2026, 5, 1, 1, 0), title="April")
    past_incident(local(page, 2026, 5, 3, 10, 0), local(page, 2026, 5, 3, 11, 0), title="May 3")
    past_incident(local(page, 2026, 5, 20, 10, 0), local(page, 2026, 5, 20, 11, 0), title="May 20")
    open_incident("Still open")

    section = past_section(get_dom("/history"))

    assert [node.text() for node in section.find_all("h3", cls="month")] == [
        "May 2026", "April 2026"
    ]
    assert [node.text() for node in section.find_all("h4")] == ["May 20", "May 3", "April"]
    assert "Still open" not in section.text()


def test_history_month_follows_page_zone(
    page: Page, past_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    # 2026-05-01 02:00 UTC is still April 30 in Chicago.
    past_incident(dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC),
                  dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC), title="Late April")

    section = past_section(get_dom("/history"))

    assert section.one("h3", cls="month").text() == "April 2026"


def test_history_entry_shows_worst_state_window_and_duration(
    page: Page, add_service: Callable[..., Service], past_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API")
    incident = past_incident(local(page, 2026, 6, 1, 9, 0), local(page, 2026, 6, 1, 11, 15),
                             title="Outage", services=[api], state=State.MAJOR_OUTAGE)

    entry = past_section(get_dom("/history")).one("li", cls="entry")

    assert "s-major_outage" in entry.classes
    assert entry.one("a").attrs["href"] == f"/incidents/{incident.pk}"
    meta = entry.one(cls="meta").text()
    assert meta == (
        "Major outage · June 1, 2026, 09:00 CDT \N{EN DASH} 11:15 CDT · lasted 2 h 15 min"
    )
    assert entry.one(cls="affected").text() == "Affected: API"


def test_history_pages_twenty_at_a_time(
    page: Page, past_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    for day in range(45):
        start = NOW - dt.timedelta(days=day + 1)
        past_incident(start, start + dt.timedelta(minutes=10), title=f"Outage {day + 1}")

    first = past_section(get_dom("/history"))
    third = past_section(get_dom("/history?page=3"))

    assert len(first.find_all("h4")) == 20
    assert first.find_all("h4")[0].text() == "Outage 1"
    assert [node.text() for node in third.find_all("h4")] == [
        "Outage 41", "Outage 42", "Outage 43", "Outage 44", "Outage 45"
    ]
    pager = first.one("nav", cls="pager")
    assert pager.one("a", rel="next").attrs["href"] == "?page=2"
    assert "Page 1 of 3" in pager.text()
    assert third.one("nav", cls="pager").one("a", rel="prev").attrs["href"] == "?page=2"


def test_history_page_past_end_is_404(
    page: Page, past_incident: Callable[..., Incident], get: Callable[..., Any]
) -> None:
    past_incident(NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1))

    response = get("/history?page=4")

    assert response.status_code == 404
    assert "There is no page 4: this list has 1." in parse(response.content).one("main").text()


def test_history_page_not_a_number_is_404(page: Page, get: Callable[..., Any]) -> None:
    for raw in ["abc", "0", "-1", "1.5", "%00"]:
        response = get(f"/history?page={raw}")

        assert response.status_code == 404, raw
        assert "is not a page number" in parse(response.content).one("main").text()


def test_history_without_incidents(page: Page, get_dom: Callable[..., Node]) -> None:
    section = past_section(get_dom("/history"))

    assert "No past incidents." in section.text()
    assert section.find_all("nav") == []


def test_history_uptime_table(
    page: Page, add_service: Callable[..., Service], past_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API", start_date=TODAY - dt.timedelta(days=400))
    add_service("Website", start_date=TODAY - dt.timedelta(days=400))
    # 144 minutes down; 30 days hold 43,200 minutes, 90 days 129,600 and 365 days 525,600
    # (the 23-hour and 25-hour DST days of that year cancel out).
    past_incident(local(page, 2026, 6, 10, 8, 0), local(page, 2026, 6, 10, 10, 24),
                  services=[api], state=State.PARTIAL_OUTAGE)

    table = get_dom("/history").one("section", aria_labelledby="uptime-heading").one("table")

    header = [cell.text() for cell in table.one("thead").find_all("th")]
    assert header == ["Service", "30 days", "90 days", "365 days"]
    rows = {row.one("th").text(): [cell.text() for cell in row.find_all("td")]
            for row in table.one("tbody").find_all("tr")}
    assert rows["API"] == ["99.66 %", "99.88 %", "99.97 %"]
    assert rows["Website"] == ["100.00 %", "100.00 %", "100.00 %"]
    assert rows["All services"] == ["99.66 %", "99.88 %", "99.97 %"]


def test_history_uptime_skips_days_before_service(
    page: Page, add_service: Callable[..., Service], get_dom: Callable[..., Node]
) -> None:
    add_service("New", start_date=TODAY)

    table = get_dom("/history").one("section", aria_labelledby="uptime-heading").one("table")

    row = next(row for row in table.one("tbody").find_all("tr") if row.one("th").text() == "New")
    assert [cell.text() for cell in row.find_all("td")] == ["100.00 %"] * 3


def test_history_figures_table_lists_outage_days(
    page: Page, add_service: Callable[..., Service], past_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API", start_date=TODAY - dt.timedelta(days=200))
    past_incident(local(page, 2026, 6, 10, 23, 0), local(page, 2026, 6, 11, 0, 30),
                  services=[api], state=State.MAJOR_OUTAGE)
    past_incident(local(page, 2026, 6, 13, 9, 0), local(page, 2026, 6, 13, 9, 20),
                  services=[api], state=State.DEGRADED_PERFORMANCE)

    section = get_dom("/history").one("section", aria_labelledby="days-heading")

    rows = [[cell.text() for cell in row.find_all() if cell.tag in {"td", "th"}]
            for row in section.one("table").one("tbody").find_all("tr")]
    assert rows == [
        ["June 13, 2026", "API", "20 min", "\N{EN DASH}", "\N{EN DASH}"],
        ["June 11, 2026", "API", "\N{EN DASH}", "\N{EN DASH}", "30 min"],
        ["June 10, 2026", "API", "\N{EN DASH}", "\N{EN DASH}", "1 h"],
    ]


def test_history_strips_per_service(
    page: Page, add_service: Callable[..., Service], get_dom: Callable[..., Node]
) -> None:
    add_service("API", start_date=TODAY - dt.timedelta(days=200))

    section = get_dom("/history").one("section", aria_labelledby="days-heading")

    assert len(section.one("ol", cls="strip").find_all("li")) == 90
    # The history shows figures, not the current state.
    assert section.find_all(cls="state-tag") == []


def test_history_without_services_has_no_figures(
    page: Page, get_dom: Callable[..., Node]
) -> None:
    dom = get_dom("/history")

    assert dom.find_all("section", aria_labelledby="uptime-heading") == []
    assert dom.find_all("section", aria_labelledby="days-heading") == []


def test_history_of_other_page_not_shown(
    page: Page, outsider: Any, past_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    past_incident(NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1), title="Theirs",
                  on=outsider.pages.get())

    assert "Theirs" not in get_dom("/history").text()
