"""A page's dashboard: what the public sees, the open work, and the actions at hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Service
from tests.console.page_support import client_for, page_url, text_of

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def zurich(page: Page, actor: Actor) -> Page:
    pages.update_page(page, {"time_zone": "Europe/Zurich"}, actor=actor)
    return page


def test_dashboard_open_to_every_member(page: Page, owner: Any, editor: Any,
                                        viewer: Any) -> None:
    for user in (owner, editor, viewer):
        assert client_for(user).get(page_url("dashboard")).status_code == 200, user.email


def test_dashboard_hidden_from_outsider(page: Page, outsider: Any) -> None:
    assert client_for(outsider).get(page_url("dashboard")).status_code == 404


def test_dashboard_unknown_slug_not_found(page: Page, owner: Any) -> None:
    assert client_for(owner).get(page_url("dashboard", "nope")).status_code == 404


def test_dashboard_shows_banner_and_states(
    page: Page, owner: Any, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    add_service("Website")
    incidents.open_incident(page, title="Logins fail", text="Looking into it.",
                            state="major_outage", status="investigating", services=[api],
                            actor=actor)

    text = text_of(client_for(owner).get(page_url("dashboard")))

    assert "Logins fail (Major outage)" in text
    assert "API Major outage" in text
    assert "Website Operational" in text


def test_dashboard_default_banner_when_quiet(page: Page, owner: Any) -> None:
    text = text_of(client_for(owner).get(page_url("dashboard")))

    assert "All systems operational (Operational)" in text
    assert "No open incident." in text


def test_dashboard_lists_open_incident_with_update_link(
    page: Page, owner: Any, actor: Actor
) -> None:
    incident = incidents.open_incident(page, title="Slow search", text="Queries take 5 s.",
                                       state="degraded_performance", status="identified",
                                       actor=actor)

    response = client_for(owner).get(page_url("dashboard"))

    text = text_of(response)
    assert "Degraded performance · Identified" in text
    assert "Queries take 5 s." in text
    detail = reverse("console:incident", args=["acme", incident.pk])
    assert f'href="{detail}#update"' in response.content.decode()


def test_dashboard_shows_times_in_page_zone(zurich: Page, owner: Any, actor: Actor) -> None:
    with time_machine.travel(NOW, tick=False):
        incidents.open_incident(zurich, title="Outage", text="Down.", state="major_outage",
                                status="investigating", actor=actor)
        text = text_of(client_for(owner).get(page_url("dashboard")))

    assert "13:00 CET" in text


def test_dashboard_flags_overdue_maintenance(zurich: Page, owner: Any, actor: Actor) -> None:
    with time_machine.travel(NOW, tick=False):
        maintenances.schedule_maintenance(
            zurich, title="Database upgrade", description="",
            starts_at=NOW - dt.timedelta(hours=3), ends_at=NOW - dt.timedelta(hours=1),
            actor=actor,
        )
        text = text_of(client_for(owner).get(page_url("dashboard")))

    assert "Database upgrade Overdue" in text
    assert "The window ended" in text
    assert "12:00 CET" in text


def test_dashboard_lists_active_and_upcoming_maintenances(
    page: Page, owner: Any, actor: Actor
) -> None:
    with time_machine.travel(NOW, tick=False):
        running = maintenances.schedule_maintenance(
            page, title="Network work", description="", starts_at=NOW - dt.timedelta(hours=1),
            ends_at=NOW + dt.timedelta(hours=1), actor=actor,
        )
        maintenances.post_event(running, text="Started.", actor=actor)
        maintenances.schedule_maintenance(
            page, title="Storage move", description="", starts_at=NOW + dt.timedelta(days=2),
            ends_at=NOW + dt.timedelta(days=2, hours=2), actor=actor,
        )
        text = text_of(client_for(owner).get(page_url("dashboard")))

    window = "11:00 UTC \N{EN DASH} 13:00 UTC"
    assert f"Network work In progress · planned Jan. 15, 2026, {window}" in text
    assert "Storage move Scheduled" in text
    assert "Overdue" not in text


def test_dashboard_actions_for_editor(page: Page, editor: Any) -> None:
    markup = client_for(editor).get(page_url("dashboard")).content.decode()

    assert f'href="{page_url("incident-new")}"' in markup
    assert f'href="{page_url("maintenance-new")}"' in markup


def test_dashboard_no_actions_for_viewer(page: Page, viewer: Any, actor: Actor) -> None:
    incidents.open_incident(page, title="Slow", text="Looking.", state="partial_outage",
                            status="investigating", actor=actor)

    response = client_for(viewer).get(page_url("dashboard"))

    markup = response.content.decode()
    assert "Open an incident" not in markup
    assert "Post an update" not in markup
    assert "Slow" in text_of(response)


def test_dashboard_groups_services(page: Page, owner: Any, actor: Actor,
                                   add_service: Callable[..., Service]) -> None:
    group = pages.add_group(page, name="Backend", actor=actor)
    add_service("Queue", group=group)
    add_service("Website")

    text = text_of(client_for(owner).get(page_url("dashboard")))

    assert text.index("Website") < text.index("Backend") < text.index("Queue")
