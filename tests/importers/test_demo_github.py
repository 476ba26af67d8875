"""The demo page `github`, imported from the committed public-domain sample of GitHub incidents."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from heliograph.domain.models import Incident, IncidentEvent, Page
from heliograph.domain.vocab import Status
from heliograph.importers.demo import GITHUB_SAMPLE
from tests.importers.conftest import REPOSITORY, imported


def sample_incidents() -> list[dict]:
    return [json.loads(path.read_text())["incident"]
            for path in sorted(GITHUB_SAMPLE.glob("*.json"))]


@pytest.fixture
def github(db: None) -> Page:
    call_command("demo", stdout=StringIO())
    return Page.objects.get(slug="github")


def test_sample_is_package_data() -> None:
    assert GITHUB_SAMPLE.is_relative_to(REPOSITORY / "heliograph")
    assert len(sample_incidents()) == 37
    readme = (GITHUB_SAMPLE.parent / "README.md").read_text()
    assert "public" in readme
    assert "Unlicense" in readme


def test_demo_creates_github_page(github: Page) -> None:
    assert github.title == "GitHub (sample)"
    assert github.time_zone == "Etc/UTC"
    assert github.memberships.get().user.email == "demo@example.com"
    assert Incident.objects.filter(page=github).count() == 37
    assert IncidentEvent.objects.filter(incident__page=github).count() == sum(
        len(incident["incident_updates"]) for incident in sample_incidents()
    )
    assert not Incident.objects.filter(page=github, closed_at__isnull=True).exists()


def test_github_events_match_sample(github: Page) -> None:
    for source in sample_incidents():
        incident = imported(github, "incident", source["id"])
        times = sorted(dt.datetime.fromisoformat(update["display_at"])
                       for update in source["incident_updates"])

        assert incident.title == source["name"]
        assert [event.at for event in incident.events.order_by("at", "id")] == times
        assert incident.closed_at == times[-1]
        assert incident.latest_event.status == Status.RESOLVED


def test_demo_output_names_github(db: None) -> None:
    output = StringIO()
    call_command("demo", stdout=output)

    assert ("Created the demo page 'github' (GitHub (sample)) with 12 services and 37 "
            "incidents, imported from the public-domain GitHub sample.") in output.getvalue()


def test_github_pages_render(github: Page, client: Client) -> None:
    single = Incident.objects.filter(page=github, events__isnull=False).order_by("opened_at")[0]

    for path in ("/p/github/", "/p/github/history", f"/p/github/incidents/{single.pk}",
                 "/p/github/api/v2/incidents.json"):
        response = client.get(path, HTTP_HOST="localhost")
        assert response.status_code == 200, path
    page = client.get(f"/p/github/incidents/{single.pk}", HTTP_HOST="localhost")
    # The sample's oldest incident is an HTML list of reports, shown as a list.
    assert single.events.count() == 1
    assert "<li><strong>2010-" in page.content.decode()


def test_sample_independent_of_shared_data() -> None:
    assert all(not path.is_symlink() for path in GITHUB_SAMPLE.iterdir())
    assert Path(GITHUB_SAMPLE).resolve().is_relative_to(REPOSITORY.resolve())
