"""`heliograph status`: the page as the public sees it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from heliograph.domain import incidents, maintenances
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State, Status

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def busy_page(page, add_service, actor):
    """A Zurich page with an incident on API and a maintenance in progress on Database."""
    Page.objects.filter(pk=page.pk).update(time_zone="Europe/Zurich")
    page.refresh_from_db()
    api = add_service("API", group=None)
    database = add_service("Database")
    add_service("Dashboard")
    with time_machine.travel(NOW, tick=False):
        incidents.open_incident(page, title="Elevated API errors", text="Looking into it.",
                                state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                services=[api], actor=actor)
        maintenance = maintenances.schedule_maintenance(
            page, title="Database upgrade", description="", starts_at=NOW,
            ends_at=NOW + dt.timedelta(days=365 * 10), services=[database], actor=actor)
        maintenances.post_event(maintenance, text="Started.", actor=actor)
    return page


def test_status_text(cli, busy_page):
    result = cli("status")

    assert result.code == 0, result.stderr
    out = result.stdout
    assert "Acme  http://acme.localhost:8000/" in out
    assert "✖ Elevated API errors" in out
    assert "API        ✖ Major outage" in out
    assert "Database   ■ Under maintenance" in out
    assert "Dashboard  ✓ Operational" in out
    incident = Incident.objects.get()
    assert (f"#{incident.pk} Elevated API errors  ✖ Major outage, Investigating, since "
            "2026-11-03 13:00 CET") in out
    assert "Looking into it." in out
    assert "Database upgrade  In progress, 2026-11-03 13:00 CET" in out
    assert "Times in Europe/Zurich." in out


def test_status_json_matches_api(cli, busy_page, token):
    result = cli("status", "--json")

    expected = Client().get("/api/v1/pages/acme/status",
                            headers={"Authorization": f"Bearer {token}"}).json()
    assert result.code == 0, result.stderr
    assert result.json() == expected


def test_status_operational_page(cli, page):
    result = cli("status")

    assert result.code == 0, result.stderr
    assert "✓ All systems operational" in result.stdout
    assert "Open incidents" not in result.stdout


def test_status_colours_on_terminal(cli, busy_page):
    # FORCE_COLOR makes rich colour its output as it does on a terminal.
    result = cli("status", FORCE_COLOR="1")

    assert result.code == 0, result.stderr
    assert "\x1b[31m✖ Major outage" in result.stdout
    assert "\x1b[34m■ Under maintenance" in result.stdout
    assert "\x1b[32m✓ Operational" in result.stdout


def test_status_no_colour_when_piped(cli, busy_page):
    result = cli("status")

    assert "\x1b[" not in result.stdout
