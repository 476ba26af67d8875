"""Past maintenances: completed ones, newest first, paged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Maintenance, Page
from tests.public.conftest import NOW
from tests.public.dom import Node


def completed(schedule: Callable[..., Maintenance], actor: Actor, days_ago: int,
              title: str, **fields: Any) -> Maintenance:
    start = NOW - dt.timedelta(days=days_ago)
    maintenance = schedule(start, start + dt.timedelta(hours=1), title=title, **fields)
    maintenances.close_maintenance(maintenance, actor=actor)
    return maintenance


def test_past_maintenances_lists_completed_newest_first(
    page: Page, actor: Actor, schedule: Callable[..., Maintenance], get_dom: Callable[..., Node]
) -> None:
    older = completed(schedule, actor, 40, "Older")
    completed(schedule, actor, 3, "Newer")
    schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=2), title="Upcoming")

    main = get_dom("/maintenances").one("main")

    assert [node.text() for node in main.find_all("h3")] == ["Newer", "Older"]
    assert [node.text() for node in main.find_all("h2", cls="month")] == ["June 2026", "May 2026"]
    assert main.find_all("h3")[1].one("a").attrs["href"] == f"/maintenances/{older.pk}"


def test_past_maintenances_shows_window_and_excerpt(
    page: Page, actor: Actor, schedule: Callable[..., Maintenance], get_dom: Callable[..., Node]
) -> None:
    completed(schedule, actor, 3, "Upgrade", description="Moved to *new* disks. " * 20)

    entry = get_dom("/maintenances").one("li", cls="entry")

    assert entry.one(cls="meta").text() == (
        "Completed · June 12, 2026, 12:00 CDT \N{EN DASH} 13:00 CDT"
    )
    excerpt = entry.one(cls="excerpt").text()
    assert excerpt.startswith("Moved to new disks. Moved")
    assert excerpt.endswith("…")
    assert len(excerpt) <= 200


def test_past_maintenances_paged(
    page: Page, actor: Actor, schedule: Callable[..., Maintenance], get_dom: Callable[..., Node],
    get: Callable[..., Any]
) -> None:
    for day in range(21):
        completed(schedule, actor, day + 1, f"Work {day + 1}")

    second = get_dom("/maintenances?page=2").one("main")

    assert [node.text() for node in second.find_all("h3")] == ["Work 21"]
    assert get("/maintenances?page=3").status_code == 404


def test_past_maintenances_empty(page: Page, get_dom: Callable[..., Node]) -> None:
    assert "No maintenance has been completed yet." in get_dom("/maintenances").one("main").text()


def test_past_maintenances_of_other_page_not_shown(
    page: Page, outsider: Any, actor: Actor, schedule: Callable[..., Maintenance],
    get_dom: Callable[..., Node]
) -> None:
    completed(schedule, actor, 2, "Theirs", on=outsider.pages.get())

    assert "Theirs" not in get_dom("/maintenances").text()
