"""Hostile text in every field shown to the public: nothing executes, nothing is injected."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from tests.public.conftest import NOW
from tests.public.dom import Node, parse

PAGE_TITLE = '<script>alert("title")</script>'
DEFAULT_MESSAGE = "<img src=x onerror=alert('banner')>"
SERVICE_NAME = '"><svg onload=alert(3)>'
GROUP_NAME = "<iframe src=javascript:alert(4)>"
INCIDENT_TITLE = "<img src=x onerror=alert(1)>"
EVENT_TEXT = (
    "[x](javascript:alert(1)) <script>alert(5)</script> "
    '<iframe src="https://evil.example/"></iframe> <img src=x onerror="alert(6)"> '
    '<a href="javascript:alert(7)">y</a> [z](JAVASCRIPT:alert(8)) '
    '<div style="position:fixed">cover</div>'
)
MAINTENANCE_TITLE = "<script>alert(9)</script>"
DESCRIPTION = (
    "![pixel](javascript:alert(10)) [v](vbscript:msgbox(1)) [d](data:text/html,<b>x</b>) "
    "<style>body{display:none}</style> <svg/onload=alert(11)>"
)
FORBIDDEN_TAGS = {"iframe", "img", "object", "embed", "form", "input", "base", "meta-refresh"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


def assert_harmless(dom: Node, *, scripts: int = 1) -> None:
    """Check that a document holds only the page's own script, style and markup."""
    for node in dom.iter():
        assert node.tag not in FORBIDDEN_TAGS, node
        for name, value in node.attrs.items():
            assert not name.startswith("on"), node
            assert name != "style", node
            if name in {"href", "src", "action", "formaction"}:
                assert not value.strip().lower().startswith(BAD_SCHEMES), node
    script_tags = dom.find_all("script")
    assert len(script_tags) == scripts
    for tag in script_tags:
        assert tag.attrs["src"].endswith("/public/status.js")
        assert not tag.children
    assert len(dom.find_all("style")) <= 1
    for title in dom.find_all("title"):
        assert all(isinstance(child, str) for child in title.children)


@pytest.fixture
def hostile(page: Page, actor: Actor, add_service: Callable[..., Service],
            open_incident: Callable[..., Incident], past_incident: Callable[..., Incident],
            schedule: Callable[..., Maintenance]) -> dict[str, Any]:
    pages.update_page(page, {"title": PAGE_TITLE, "default_status_message": DEFAULT_MESSAGE},
                      actor=actor)
    group = pages.add_group(page, name=GROUP_NAME, actor=actor)
    service = add_service(SERVICE_NAME, group=group,
                          description="<b onmouseover=alert(12)>desc</b>")
    incident = open_incident(INCIDENT_TITLE, services=[service], text=EVENT_TEXT,
                             at=NOW - dt.timedelta(hours=2))
    incidents.post_event(incident, text=EVENT_TEXT, state=State.MAJOR_OUTAGE,
                         status=Status.IDENTIFIED, actor=actor)
    past = past_incident(NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=2),
                         title=INCIDENT_TITLE, services=[service], text=EVENT_TEXT)
    incidents.update_incident(past, post_mortem=EVENT_TEXT, actor=actor)
    upcoming = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=2),
                        title=MAINTENANCE_TITLE, description=DESCRIPTION, services=[service])
    maintenances.post_event(upcoming, text=EVENT_TEXT, status=MaintenanceStatus.SCHEDULED,
                            actor=actor)
    done = schedule(NOW - dt.timedelta(days=5), NOW - dt.timedelta(days=5, hours=-1),
                    title=MAINTENANCE_TITLE, description=DESCRIPTION)
    maintenances.close_maintenance(done, text=EVENT_TEXT, actor=actor)
    return {"incident": incident, "past": past, "upcoming": upcoming, "done": done}


def test_hostile_front_page(hostile: dict[str, Any], get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/")

    assert_harmless(dom)
    assert dom.one("title").text() == f"{PAGE_TITLE} status"
    assert dom.one("span", cls="brand-title").text() == PAGE_TITLE
    assert dom.one("ul", cls="banner-titles").one("a").text() == INCIDENT_TITLE
    assert dom.one(cls="service-name").text() == SERVICE_NAME
    assert dom.one(cls="group-name").text() == GROUP_NAME
    assert dom.one(cls="service-description").text() == "<b onmouseover=alert(12)>desc</b>"
    entry_titles = [node.text() for node in dom.find_all("h3", cls="entry-title")]
    assert entry_titles == [INCIDENT_TITLE, MAINTENANCE_TITLE]


def test_hostile_event_text_shown_as_text(hostile: dict[str, Any],
                                          get_dom: Callable[..., Node]) -> None:
    body = get_dom("/").one("div", cls="md")

    text = body.text()
    assert "[x](javascript:alert(1))" in text
    assert "<script>alert(5)</script>" in text
    assert '<img src=x onerror="alert(6)">' in text
    assert body.find_all("a") == []


def test_hostile_banner_default_message(page: Page, actor: Actor,
                                        get_dom: Callable[..., Node]) -> None:
    pages.update_page(page, {"default_status_message": DEFAULT_MESSAGE}, actor=actor)

    dom = get_dom("/")

    assert_harmless(dom)
    assert dom.one(cls="banner-message").text() == DEFAULT_MESSAGE


def test_hostile_incident_page(hostile: dict[str, Any], get_dom: Callable[..., Node]) -> None:
    for incident in (hostile["incident"], hostile["past"]):
        dom = get_dom(f"/incidents/{incident.pk}")

        assert_harmless(dom)
        assert dom.one("h1", cls="record-title").text() == INCIDENT_TITLE
        assert dom.one("title").text() == f"{INCIDENT_TITLE} · {PAGE_TITLE}"


def test_hostile_maintenance_page(hostile: dict[str, Any],
                                  get_dom: Callable[..., Node]) -> None:
    for maintenance in (hostile["upcoming"], hostile["done"]):
        dom = get_dom(f"/maintenances/{maintenance.pk}")

        assert_harmless(dom)
        assert dom.one("h1", cls="record-title").text() == MAINTENANCE_TITLE
        description = dom.find_all("div", cls="md")[0]
        # The image became a link without its javascript: target, the other links lost theirs.
        assert all("href" not in link.attrs for link in description.find_all("a"))
        assert "<style>body{display:none}</style>" in description.text()


def test_hostile_history(hostile: dict[str, Any], get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/history")

    assert_harmless(dom)
    assert dom.one("section", aria_labelledby="past-heading").one("h4").text() == INCIDENT_TITLE
    assert SERVICE_NAME in [node.text() for node in dom.find_all("th", scope="row")]


def test_hostile_past_maintenances(hostile: dict[str, Any],
                                   get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/maintenances")

    assert_harmless(dom)
    assert dom.one("h3", cls="entry-title").text() == MAINTENANCE_TITLE
    excerpt = dom.one(cls="excerpt").text()
    assert "<svg/onload=alert(11)>" in excerpt


def test_hostile_live_fragment(hostile: dict[str, Any], get: Callable[..., Any]) -> None:
    body = json.loads(get("/live").content)

    fragment = parse(body["html"])

    assert_harmless(fragment, scripts=0)
    assert fragment.one("ul", cls="banner-titles").one("a").text() == INCIDENT_TITLE


def test_hostile_not_found_page(hostile: dict[str, Any], get: Callable[..., Any]) -> None:
    response = get("/incidents/987654")

    dom = parse(response.content)
    assert response.status_code == 404
    assert_harmless(dom)
    assert dom.one("span", cls="brand-title").text() == PAGE_TITLE


def test_hostile_page_number(page: Page, get: Callable[..., Any]) -> None:
    response = get("/history?page=%3Cscript%3Ealert(1)%3C/script%3E")

    dom = parse(response.content)
    assert response.status_code == 404
    assert_harmless(dom)
    assert "“<script>alert(1)</script>” is not a page number" in dom.one("main").text()
