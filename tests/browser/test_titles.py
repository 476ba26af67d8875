"""Long titles and titles in other scripts keep the layout whole: Arabic, CJK and emoji."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State
from tests.browser.support import (
    DESKTOP,
    PHONE,
    Tab,
    add_services,
    open_incident,
    page_url,
    past_incident,
)

pytestmark = pytest.mark.browser

UNBROKEN = "Unbrokentitle" * 23 + "X"  # 300 characters without a space
SENTENCE = ("Payments API requests time out for customers in several regions " * 5)[:300]
ARABIC = "تعطل بوابة الدفع للعملاء في أوروبا (API v2)"
CJK = "数据库连接超时导致部分用户无法登录控制台我们正在调查原因并尽快恢复服务" * 4
EMOJI = "🔥🚒 Fire drill in the data centre 👩🏽‍💻🏳️‍🌈 all hands 🙌"
TITLES = (UNBROKEN, SENTENCE, ARABIC, CJK, EMOJI)
PAGE_TITLE = "Ü" * 200  # the longest page title, without a space
SERVICE_NAMES = ("S" * 100, "بوابة الدفع", "数据库集群", "🚀 Deploys")


@dataclass(frozen=True)
class TitledPage:
    open_ids: list[int]
    past_ids: list[int]
    maintenance_ids: list[int]


@pytest.fixture
def titled_page(make_page: Callable[..., Page], actor: Actor) -> TitledPage:
    page = make_page("titles", title=PAGE_TITLE, theme="light")
    now = timezone.now()
    services = add_services(page, SERVICE_NAMES, actor,
                            start_date=(now - dt.timedelta(days=30)).date())
    open_ids, past_ids, maintenance_ids = [], [], []
    for number, title in enumerate(TITLES):
        service = services[number % len(services)]
        incident = open_incident(page, actor, title=title, services=[service], text=title,
                                 state=State.PARTIAL_OUTAGE,
                                 ago=dt.timedelta(minutes=5 + number), now=now)
        open_ids.append(incident.pk)
        past = past_incident(page, actor, now - dt.timedelta(days=2 + number), 30, title=title,
                             services=[service])
        past_ids.append(past.pk)
        maintenance = maintenances.schedule_maintenance(
            page, title=title, description=title, services=[service], actor=actor,
            starts_at=now + dt.timedelta(days=1 + number),
            ends_at=now + dt.timedelta(days=1 + number, hours=2),
        )
        maintenance_ids.append(maintenance.pk)
    return TitledPage(open_ids, past_ids, maintenance_ids)


def check_fits(tab: Tab, width: int, where: str) -> None:
    assert tab.overflow_px() == 0, (where, tab.elements_past_right_edge())
    assert tab.elements_past_right_edge() == [], where


def shown_texts(tab: Tab, selector: str) -> list[str]:
    return [text.strip() for text in tab.locator(selector).all_inner_texts()]


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_titles_on_front_page(live_server: Any, open_tab: Callable[..., Tab],
                              titled_page: TitledPage, width: int) -> None:
    tab = open_tab(page_url(live_server.url, "titles"), width=width)

    check_fits(tab, width, "front page")
    assert tab.locator(".brand-title").inner_text() == PAGE_TITLE
    assert tab.page.title() == f"{PAGE_TITLE} status"
    # Open incidents are listed in the order they were opened, the last title first.
    assert shown_texts(tab, ".banner-titles a") == list(reversed(TITLES))
    assert shown_texts(tab, "#current-heading + ul .entry-title") == list(reversed(TITLES))
    assert shown_texts(tab, "#maintenance-heading + ul .entry-title") == list(TITLES)
    assert shown_texts(tab, ".service-name") == list(SERVICE_NAMES)
    assert tab.problems() == []


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_titles_on_record_pages(live_server: Any, open_tab: Callable[..., Tab],
                                titled_page: TitledPage, width: int) -> None:
    tab = open_tab(page_url(live_server.url, "titles", "history"), width=width)
    check_fits(tab, width, "history")
    assert set(shown_texts(tab, "#past-heading ~ ul .entry-title")) == set(TITLES)

    for kind, ids in (("incidents", titled_page.open_ids), ("incidents", titled_page.past_ids),
                      ("maintenances", titled_page.maintenance_ids)):
        for record_id, title in zip(ids, TITLES, strict=True):
            tab.goto(page_url(live_server.url, "titles", f"{kind}/{record_id}"))
            check_fits(tab, width, f"{kind}/{record_id}")
            assert tab.locator("h1.record-title").inner_text() == title


def test_arabic_title_reads_right_to_left(live_server: Any, open_tab: Callable[..., Tab],
                                          titled_page: TitledPage) -> None:
    arabic_id = titled_page.open_ids[TITLES.index(ARABIC)]
    tab = open_tab(page_url(live_server.url, "titles", f"incidents/{arabic_id}"))

    heading = tab.locator("h1.record-title")
    assert heading.evaluate("element => getComputedStyle(element).direction") == "rtl"
    # The parenthesis that ends the title stays at its left end, where Arabic text ends.
    heading_box = heading.bounding_box()
    assert heading_box is not None
    text_left = heading.evaluate("""element => {
        const range = document.createRange();
        range.selectNodeContents(element);
        return range.getBoundingClientRect().left;
    }""")
    text_right = heading.evaluate("""element => {
        const range = document.createRange();
        range.selectNodeContents(element);
        return range.getBoundingClientRect().right;
    }""")
    assert abs(text_right - (heading_box["x"] + heading_box["width"])) < 2
    assert text_left > heading_box["x"]
    tab.goto(page_url(live_server.url, "titles"))
    link = tab.locator(".banner-titles a", has_text="تعطل")
    assert link.evaluate("element => getComputedStyle(element).direction") == "rtl"
    assert link.evaluate("element => getComputedStyle(element).unicodeBidi") == "isolate"
