"""The incident page: title, affected services, the event stream newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page, Service
from heliograph.domain.vocab import State, Status
from tests.public.conftest import NOW
from tests.public.dom import Node, definitions


def post(incident: Incident, actor: Actor, text: str, state: State, status: Status,
         minutes_ago: int, services: list[Service] | None = None) -> None:
    incidents.post_event(incident, text=text, state=state, status=status, services=services,
                         at=NOW - dt.timedelta(minutes=minutes_ago), actor=actor)


def test_incident_page_shows_title_and_services(
    page: Page, add_service: Callable[..., Service], open_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API")
    web = add_service("Website")
    incident = open_incident("Slow responses", services=[api, web])

    dom = get_dom(f"/incidents/{incident.pk}")

    assert dom.one("h1", cls="record-title").text() == "Slow responses"
    assert dom.one("title").text() == "Slow responses · Acme"
    facts = definitions(dom.one("dl", cls="facts"))
    assert facts["Affected services"] == "API, Website"
    assert facts["Opened"] == "June 15, 2026, 11:00 CDT"


def test_incident_page_events_newest_first(
    page: Page, actor: Actor, open_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    incident = open_incident(text="Looking.", state=State.MAJOR_OUTAGE,
                             at=NOW - dt.timedelta(minutes=50))
    post(incident, actor, "Found it.", State.PARTIAL_OUTAGE, Status.IDENTIFIED, 30)
    post(incident, actor, "Watching.", State.DEGRADED_PERFORMANCE, Status.MONITORING, 10)

    updates = get_dom(f"/incidents/{incident.pk}").one("ol", cls="timeline").find_all("li")

    assert [item.one(cls="md").text() for item in updates] == [
        "Watching.", "Found it.", "Looking."
    ]
    assert [item.one(cls="status").text() for item in updates] == [
        "Monitoring", "Identified", "Investigating"
    ]
    assert [item.one(cls="state-name").text() for item in updates] == [
        "Degraded performance", "Partial outage", "Major outage"
    ]
    assert [item.one("time").text() for item in updates] == [
        "June 15, 2026, 11:50 CDT", "June 15, 2026, 11:30 CDT", "June 15, 2026, 11:10 CDT"
    ]


def test_incident_page_event_colour_and_icon(
    page: Page, open_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    incident = open_incident(state=State.MAJOR_OUTAGE)

    update = get_dom(f"/incidents/{incident.pk}").one("li", cls="update")

    assert "s-major_outage" in update.classes
    assert update.one("use").attrs["href"] == "#i-major_outage"


def test_incident_page_renders_markdown(
    page: Page, open_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    incident = open_incident(text="See [the docs](https://docs.example/) and **retry**.")

    body = get_dom(f"/incidents/{incident.pk}").one("div", cls="md")

    link = body.one("a")
    assert link.attrs["href"] == "https://docs.example/"
    assert link.attrs["rel"] == "nofollow noopener"
    assert body.one("strong").text() == "retry"


def test_incident_page_closed_incident(
    page: Page, past_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    incident = past_incident(NOW - dt.timedelta(days=1, hours=2), NOW - dt.timedelta(days=1))

    dom = get_dom(f"/incidents/{incident.pk}")

    assert definitions(dom.one("dl", cls="facts"))["Resolved"] == "June 14, 2026, 12:00 CDT"
    first = dom.one("ol", cls="timeline").find_all("li")[0]
    assert "s-operational" in first.classes
    assert first.one(cls="status").text() == "Resolved"


def test_incident_page_partial_fix_names_services(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    open_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    api = add_service("API")
    web = add_service("Website")
    incident = open_incident(services=[api, web], at=NOW - dt.timedelta(minutes=40))
    post(incident, actor, "Website is back.", State.PARTIAL_OUTAGE, Status.IDENTIFIED, 5,
         services=[api])

    updates = get_dom(f"/incidents/{incident.pk}").find_all("li", cls="update")

    assert updates[0].one(cls="affected").text() == "Concerns: API"
    assert updates[1].find_all(cls="affected") == []


def test_incident_page_post_mortem(
    page: Page, actor: Actor, past_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    incident = past_incident(NOW - dt.timedelta(days=1, hours=2), NOW - dt.timedelta(days=1))
    incidents.update_incident(incident, post_mortem="A *disk* filled up.", actor=actor)

    dom = get_dom(f"/incidents/{incident.pk}")

    headings = [node.text() for node in dom.find_all("h2")]
    assert "Post-mortem" in headings
    assert dom.find_all("em")[-1].text() == "disk"


def test_incident_page_unknown_id_is_404(page: Page, get: Callable[..., Any]) -> None:
    response = get("/incidents/999999")

    assert response.status_code == 404
    assert b"This page has no incident 999999." in response.content
    # The 404 keeps the page's header and a way back.
    assert b'class="brand-title">Acme<' in response.content


def test_incident_page_other_pages_incident_is_404(
    page: Page, outsider: Any, open_incident: Callable[..., Incident], get: Callable[..., Any]
) -> None:
    other = open_incident("Secret trouble", on=outsider.pages.get())

    response = get(f"/incidents/{other.pk}")

    assert response.status_code == 404
    assert b"Secret trouble" not in response.content


def test_incident_page_other_pages_incident_by_path_is_404(
    page: Page, outsider: Any, open_incident: Callable[..., Incident], get: Callable[..., Any]
) -> None:
    other = open_incident("Secret trouble", on=outsider.pages.get())

    response = get(f"/p/acme/incidents/{other.pk}", "localhost")

    assert response.status_code == 404
    assert get(f"/p/other/incidents/{other.pk}", "localhost").status_code == 200


def test_incident_page_by_path_links_under_prefix(
    page: Page, open_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    incident = open_incident()

    dom = get_dom(f"/p/acme/incidents/{incident.pk}", "localhost")

    assert dom.one("p", cls="crumbs").one("a").attrs["href"] == "/p/acme/"
