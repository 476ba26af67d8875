"""The maintenance page: window in the page's zone, services, status, description, events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus
from tests.public.conftest import NOW, local
from tests.public.dom import Node, definitions


def window_text(dom: Node) -> str:
    return definitions(dom.one("dl", cls="facts"))["Window"]


def test_maintenance_page_shows_everything(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    schedule: Callable[..., Maintenance], get_dom: Callable[..., Node]
) -> None:
    database = add_service("Database")
    maintenance = schedule(local(page, 2026, 6, 20, 22, 0), local(page, 2026, 6, 20, 23, 30),
                           title="Upgrade", description="We move to **version 17**.",
                           services=[database])
    maintenances.post_event(maintenance, text="Reminder: tomorrow.",
                            status=MaintenanceStatus.SCHEDULED, actor=actor)

    dom = get_dom(f"/maintenances/{maintenance.pk}")

    assert dom.one("h1").text() == "Upgrade"
    assert dom.one("p", cls="state-tag").text() == "Scheduled"
    assert window_text(dom) == "June 20, 2026, 22:00 CDT \N{EN DASH} 23:30 CDT"
    assert definitions(dom.one("dl", cls="facts"))["Affected services"] == "Database"
    assert dom.find_all("div", cls="md")[0].one("strong").text() == "version 17"
    update = dom.one("ol", cls="timeline").one("li")
    assert update.one(cls="md").text() == "Reminder: tomorrow."
    assert update.one("time").text() == "June 15, 2026, 12:00 CDT"


def test_maintenance_page_events_newest_first(
    page: Page, actor: Actor, schedule: Callable[..., Maintenance], get_dom: Callable[..., Node]
) -> None:
    maintenance = schedule(NOW - dt.timedelta(hours=2), NOW + dt.timedelta(hours=1))
    maintenances.post_event(maintenance, text="Started.", at=NOW - dt.timedelta(hours=2),
                            actor=actor)
    maintenances.close_maintenance(maintenance, text="Done.", at=NOW - dt.timedelta(hours=1),
                                   actor=actor)

    dom = get_dom(f"/maintenances/{maintenance.pk}")

    updates = dom.one("ol", cls="timeline").find_all("li")
    assert [item.one(cls="md").text() for item in updates] == ["Done.", "Started."]
    assert [item.one(cls="status").text() for item in updates] == ["Completed", "In progress"]
    assert dom.one("p", cls="state-tag").text() == "Completed"
    assert "s-operational" in dom.one("p", cls="state-tag").classes


def test_maintenance_window_across_dst_end_chicago(
    page: Page, schedule: Callable[..., Maintenance], get_dom: Callable[..., Node]
) -> None:
    # Chicago leaves daylight saving time at 02:00 on 2026-11-01: 4 hours of wall clock,
    # 5 hours of real time.
    maintenance = schedule(local(page, 2026, 10, 31, 23, 0), local(page, 2026, 11, 1, 3, 0))

    dom = get_dom(f"/maintenances/{maintenance.pk}")

    assert window_text(dom) == "Oct. 31, 2026, 23:00 CDT \N{EN DASH} Nov. 1, 2026, 03:00 CST"
    assert maintenance.ends_at - maintenance.starts_at == dt.timedelta(hours=5)


def test_maintenance_window_across_dst_start_chicago(
    page: Page, schedule: Callable[..., Maintenance], get_dom: Callable[..., Node]
) -> None:
    # Chicago enters daylight saving time at 02:00 on 2026-03-08.
    maintenance = schedule(local(page, 2026, 3, 8, 0, 30), local(page, 2026, 3, 8, 4, 0))

    dom = get_dom(f"/maintenances/{maintenance.pk}")

    assert window_text(dom) == "March 8, 2026, 00:30 CST \N{EN DASH} 04:00 CDT"


def test_maintenance_window_across_dst_berlin(
    make_page: Callable[..., Page], schedule: Callable[..., Maintenance],
    get_dom: Callable[..., Node]
) -> None:
    berlin = make_page("berlin", title="Berlin", time_zone="Europe/Berlin")
    maintenance = schedule(local(berlin, 2026, 3, 28, 22, 0), local(berlin, 2026, 3, 29, 4, 0),
                           on=berlin)

    dom = get_dom(f"/maintenances/{maintenance.pk}", "berlin.localhost")

    assert window_text(dom) == "March 28, 2026, 22:00 CET \N{EN DASH} March 29, 2026, 04:00 CEST"


def test_maintenance_page_unknown_id_is_404(page: Page, get: Callable[..., Any]) -> None:
    response = get("/maintenances/424242")

    assert response.status_code == 404
    assert b"This page has no maintenance 424242." in response.content


def test_maintenance_page_other_pages_maintenance_is_404(
    page: Page, outsider: Any, schedule: Callable[..., Maintenance], get: Callable[..., Any]
) -> None:
    other = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=2),
                     title="Secret work", on=outsider.pages.get())

    response = get(f"/maintenances/{other.pk}")

    assert response.status_code == 404
    assert b"Secret work" not in response.content
