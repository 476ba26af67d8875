"""`heliograph incident open|update|close|list|show`, and naming incidents by title prefix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine

from heliograph.client.errors import ExitCode
from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page, Service
from heliograph.domain.vocab import State, Status

pytestmark = pytest.mark.django_db(transaction=True)

# A Tuesday in November at noon UTC, 13:00 in Zurich, away from any DST change.
NOW = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def services(add_service) -> list[Service]:
    return [add_service("API"), add_service("Database")]


@pytest.fixture
def open_one(page: Page, actor: Actor) -> Callable[..., Incident]:
    def open_incident(title: str, *, state: State = State.MAJOR_OUTAGE,
                      services: list[Service] | None = None) -> Incident:
        return incidents.open_incident(page, title=title, text="Looking.", state=state,
                                       status=Status.INVESTIGATING, services=services or [],
                                       actor=actor)

    return open_incident


def test_incident_open_stores(cli, page, services):
    result = cli("incident", "open", "--title", "Elevated errors", "--text", "Looking into it.",
                 "--state", "major", "--service", "API", "--service", "database")

    assert result.code == 0, result.stderr
    incident = Incident.objects.get(page=page)
    assert incident.title == "Elevated errors"
    assert incident.state == "major_outage"
    assert incident.status == "investigating"
    assert sorted(s.name for s in incident.services.all()) == ["API", "Database"]
    assert f"Opened incident #{incident.pk} 'Elevated errors'" in result.stdout
    assert f"http://acme.localhost:8000/incidents/{incident.pk}" in result.stdout


def test_incident_open_json(cli, page, services):
    result = cli("incident", "open", "--title", "Slow", "--text", "Slow pages.", "--state",
                 "degraded_performance", "--status", "identified", "-s", "API,Database",
                 "--json")

    assert result.code == 0, result.stderr
    body = result.json()
    assert body["status"] == "identified"
    assert body["services"] == sorted(s.pk for s in services)
    assert body["events"][0]["text"] == "Slow pages."
    assert Incident.objects.filter(pk=body["id"], page=page).exists()


def test_incident_open_text_from_stdin(cli, page):
    result = cli("incident", "open", "--title", "Slow", "--text", "-", "--state", "partial",
                 input="Line one.\nLine two.\n")

    assert result.code == 0, result.stderr
    incident = Incident.objects.get(page=page)
    assert incident.latest_event is not None
    assert incident.latest_event.text == "Line one.\nLine two."


def test_incident_open_missing_options(cli, page):
    result = cli("incident", "open", "--title", "Slow")

    assert result.code == ExitCode.USAGE
    assert "Missing --text, --state" in result.stderr
    assert not Incident.objects.exists()


def test_incident_open_bad_state_is_usage(cli, page):
    result = cli("incident", "open", "--title", "Slow", "--text", "x", "--state", "broken")

    assert result.code == ExitCode.USAGE
    assert "--state" in result.stderr
    assert not Incident.objects.exists()


def test_incident_open_operational_rejected(cli, page):
    # The client offers only the three opening states; "operational" is not among them.
    result = cli("incident", "open", "--title", "Slow", "--text", "x", "--state", "operational")

    assert result.code == ExitCode.USAGE
    assert not Incident.objects.exists()


def test_incident_open_unknown_service(cli, page, services):
    result = cli("incident", "open", "--title", "Slow", "--text", "x", "--state", "major",
                 "--service", "Billing")

    assert result.code == ExitCode.NOT_FOUND
    assert "--service: page 'acme' has no service named 'Billing'" in result.stderr
    assert not Incident.objects.exists()


def test_incident_open_at_in_page_zone(cli, page):
    Page.objects.filter(pk=page.pk).update(time_zone="Europe/Zurich")

    with time_machine.travel(NOW, tick=True):
        result = cli("incident", "open", "--title", "Slow", "--text", "x", "--state", "major",
                     "--at", "12:30")

    assert result.code == 0, result.stderr
    # 12:30 in Zurich in November (CET, UTC+1) is 11:30 UTC.
    assert Incident.objects.get().opened_at == dt.datetime(2026, 11, 3, 11, 30, tzinfo=dt.UTC)


def test_incident_open_at_in_future_rejected(cli, page):
    with time_machine.travel(NOW, tick=True):
        result = cli("incident", "open", "--title", "Slow", "--text", "x", "--state", "major",
                     "--at", "2026-11-04T12:00Z")

    # The page's zone is UTC here.
    assert result.code == ExitCode.USAGE
    assert "--at: 2026-11-04 12:00 UTC (UTC) is in the future: give a time up to now." \
        in result.stderr
    assert not Incident.objects.exists()


def test_incident_open_bad_time(cli, page):
    result = cli("incident", "open", "--title", "Slow", "--text", "x", "--state", "major",
                 "--at", "lunchtime")

    assert result.code == ExitCode.USAGE
    assert "--at: 'lunchtime' is not a time" in result.stderr
    assert "(UTC)" in result.stderr
    assert not Incident.objects.exists()


def test_incident_update_by_prefix(cli, open_one, services):
    incident = open_one("Elevated API errors", services=services)

    result = cli("incident", "update", "elevated api", "--text", "Found it.", "--state",
                 "partial", "--status", "identified", "--service", "API")

    assert result.code == 0, result.stderr
    incident.refresh_from_db()
    assert incident.state == "partial_outage"
    assert incident.status == "identified"
    assert incident.latest_event is not None
    assert incident.latest_event.text == "Found it."
    assert [s.name for s in incident.latest_event.services.all()] == ["API"]


def test_incident_update_keeps_state_and_status(cli, open_one):
    incident = open_one("Slow dashboard", state=State.DEGRADED_PERFORMANCE)

    result = cli("incident", "update", str(incident.pk), "--text", "Still on it.", "--json")

    assert result.code == 0, result.stderr
    body = result.json()
    assert body["state"] == "degraded_performance"
    assert body["status"] == "investigating"
    assert body["text"] == "Still on it."


def test_incident_update_resolved_closes(cli, open_one):
    incident = open_one("Slow dashboard")

    result = cli("incident", "update", f"#{incident.pk}", "--text", "Fixed.", "--status",
                 "resolved")

    assert result.code == 0, result.stderr
    incident.refresh_from_db()
    assert incident.closed_at is not None
    assert incident.state == "operational"
    assert "now closed" in result.stdout


def test_incident_update_needs_text(cli, open_one):
    incident = open_one("Slow dashboard")

    result = cli("incident", "update", str(incident.pk))

    assert result.code == ExitCode.USAGE
    assert "Missing --text" in result.stderr
    assert incident.events.count() == 1


def test_incident_ambiguous_prefix(cli, open_one):
    first = open_one("Database slow")
    second = open_one("Database down")

    result = cli("incident", "update", "data", "--text", "x")

    assert result.code == ExitCode.USAGE
    assert "'data' matches 2 incidents on page 'acme'" in result.stderr
    assert f"#{first.pk}  Database slow  (open" in result.stderr
    assert f"#{second.pk}  Database down  (open" in result.stderr
    assert "Give the id, or more of the title" in result.stderr
    assert Incident.objects.get(pk=first.pk).events.count() == 1
    assert Incident.objects.get(pk=second.pk).events.count() == 1


def test_incident_prefix_prefers_open(cli, open_one, actor):
    closed = open_one("Database down")
    incidents.close_incident(closed, text="Up.", actor=actor)
    current = open_one("Database slow")

    result = cli("incident", "close", "database", "--yes")

    assert result.code == 0, result.stderr
    current.refresh_from_db()
    assert current.closed_at is not None


def test_incident_show_prefix_ambiguous_across_closed(cli, open_one, actor):
    closed = open_one("Database down")
    incidents.close_incident(closed, text="Up.", actor=actor)
    open_one("Database slow")

    result = cli("incident", "show", "database")

    assert result.code == ExitCode.USAGE
    assert "(closed," in result.stderr


def test_incident_whole_title_wins(cli, open_one):
    """A title that is the start of another still names its own incident."""
    short = open_one("API")
    longer = open_one("API errors")

    result = cli("incident", "update", "api", "--text", "Still down.")

    assert result.code == 0, result.stderr
    assert Incident.objects.get(pk=short.pk).events.count() == 2
    assert Incident.objects.get(pk=longer.pk).events.count() == 1


def test_incident_same_whole_title_ambiguous(cli, open_one):
    open_one("API")
    open_one("API")
    open_one("API errors")

    result = cli("incident", "show", "API")

    assert result.code == ExitCode.USAGE
    assert "'API' matches 3 incidents" in result.stderr


def test_incident_whole_title_beyond_shown(cli, open_one):
    """The whole title is found among more candidates than the message lists."""
    oldest = open_one("API")
    for number in range(11):
        open_one(f"API errors {number}")

    result = cli("incident", "show", "api", "--json")

    assert result.code == 0, result.stderr
    assert result.json()["id"] == oldest.pk


def test_incident_other_script_digits_not_id(cli, open_one):
    incident = open_one("Database slow")
    digits = "".join(chr(0x0660 + int(digit)) for digit in str(incident.pk))

    result = cli("incident", "show", digits)

    assert result.code == ExitCode.NOT_FOUND
    assert f"title starting with {digits!r}" in result.stderr


def test_incident_not_found(cli, open_one):
    open_one("Database slow")

    result = cli("incident", "close", "Network", "--yes")

    assert result.code == ExitCode.NOT_FOUND
    assert "No incident on page 'acme' has the id or a title starting with 'Network'" \
        in result.stderr


def test_incident_hash_id_not_found(cli, open_one):
    open_one("Database slow")

    result = cli("incident", "show", "#999")

    assert result.code == ExitCode.NOT_FOUND
    assert "Incident #999 on page 'acme' was not found" in result.stderr


def test_incident_numeric_title_prefix(cli, open_one):
    incident = open_one("500 errors on checkout")

    result = cli("incident", "show", "500", "--json")

    assert result.code == 0, result.stderr
    assert result.json()["id"] == incident.pk


def test_incident_of_other_page_not_found(cli, outsider, page):
    other = Page.objects.get(slug="other")
    foreign = incidents.open_incident(other, title="Secret", text="x",
                                      state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                      services=[], actor=Actor.of_user(outsider))

    by_id = cli("incident", "show", str(foreign.pk))
    by_title = cli("incident", "show", "Secret")

    assert by_id.code == ExitCode.NOT_FOUND
    assert by_title.code == ExitCode.NOT_FOUND
    assert "Secret" not in by_id.stderr


def test_incident_update_closed_is_rule_violation(cli, open_one, actor):
    incident = open_one("Database down")
    incidents.close_incident(incident, text="Up.", actor=actor)

    result = cli("incident", "update", str(incident.pk), "--text", "More.")

    assert result.code == ExitCode.REJECTED
    assert "This incident is already closed" in result.stderr
    assert "incident_already_closed" in result.stderr
    assert incident.events.count() == 2


def test_incident_close_twice_is_rule_violation(cli, open_one, actor):
    incident = open_one("Database down")
    incidents.close_incident(incident, text="Up.", actor=actor)

    result = cli("incident", "close", str(incident.pk), "--yes")

    assert result.code == ExitCode.REJECTED
    assert "incident_already_closed" in result.stderr


def test_incident_close_json(cli, open_one):
    incident = open_one("Database down")

    result = cli("incident", "close", "database", "--text", "Back up.", "--json")

    assert result.code == 0, result.stderr
    body = result.json()
    assert body["closed_at"] is not None
    assert body["events"][0]["status"] == "resolved"
    assert body["events"][0]["text"] == "Back up."
    incident.refresh_from_db()
    assert incident.closed_at is not None


def test_incident_show_in_page_zone(cli, page, open_one, services):
    Page.objects.filter(pk=page.pk).update(time_zone="Europe/Zurich")
    with time_machine.travel(NOW, tick=False):
        incident = open_one("Database down", services=services)

    result = cli("incident", "show", str(incident.pk))

    assert result.code == 0, result.stderr
    assert "Database down" in result.stdout
    assert "Time (Europe/Zurich)" in result.stdout
    assert "2026-11-03 13:00 CET" in result.stdout
    assert "API, Database" in result.stdout
    assert "✖ Major outage" in result.stdout


def test_incident_list_default_limit(cli, open_one, actor):
    for number in range(60):
        open_one(f"Incident {number}")

    result = cli("incident", "list", "--json")

    assert result.code == 0, result.stderr
    assert len(result.json()) == 50


def test_incident_list_all_walks_pages(cli, page, actor):
    # 450 incidents need three requests of 200, the API's largest page.
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False) as clock:
        for number in range(450):
            clock.shift(dt.timedelta(minutes=1))
            incidents.open_incident(page, title=f"Incident {number}", text="x",
                                    state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                    services=[], actor=actor)

    result = cli("incident", "list", "--all", "--json")

    assert result.code == 0, result.stderr
    titles = [item["title"] for item in result.json()]
    assert len(titles) == 450
    assert titles[0] == "Incident 449"
    assert titles[-1] == "Incident 0"
    assert len(set(titles)) == 450
    # No progress display without a terminal.
    assert result.stderr == ""


def test_incident_list_filters(cli, open_one, actor):
    closed = open_one("Database down")
    incidents.close_incident(closed, text="Up.", actor=actor)
    open_one("Slow API")

    only_open = cli("incident", "list", "--status", "open", "--json")
    by_title = cli("incident", "list", "--title", "data", "--json")
    table = cli("incident", "list")

    assert [item["title"] for item in only_open.json()] == ["Slow API"]
    assert [item["title"] for item in by_title.json()] == ["Database down"]
    assert "Opened (UTC)" in table.stdout
    assert "Slow API" in table.stdout


def test_incident_open_by_viewer_forbidden(cli, make_token, viewer, page):
    token = make_token(viewer, [page], write=False)

    result = cli("incident", "open", "--title", "x", "--text", "x", "--state", "major",
                 HELIOGRAPH_TOKEN=token)

    assert result.code == ExitCode.AUTH
    assert not Incident.objects.exists()


def test_incident_revoked_token(cli, token, page):
    from django.utils import timezone

    from heliograph.api.models import ApiToken

    ApiToken.objects.update(revoked_at=timezone.now())

    result = cli("incident", "list")

    assert result.code == ExitCode.AUTH
    assert "The server rejected the token (HTTP 401, unauthorized)" in result.stderr
