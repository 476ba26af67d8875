"""The incident screens: access per role, open, update, close, backfill, correct, delete."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from heliograph.console import once
from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Incident, IncidentEvent, Page, Service
from heliograph.domain.vocab import State, Status
from tests.console.work_support import (
    checked_values,
    field_errors,
    form_token,
    input_value,
    post_form,
    signed_in,
    text_of,
    textarea_value,
    url,
)

pytestmark = pytest.mark.django_db

# A Tuesday morning in Berlin (CET, UTC+1).
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def page(make_page: Callable[..., Page]) -> Page:
    return make_page("acme", title="Acme", time_zone="Europe/Berlin")


@pytest.fixture
def api(add_service: Callable[..., Service]) -> Service:
    return add_service("API")


@pytest.fixture
def web(add_service: Callable[..., Service]) -> Service:
    return add_service("Website")


@pytest.fixture
def incident(page: Page, api: Service, actor: Actor) -> Incident:
    return incidents.open_incident(
        page, title="API errors", text="We are looking into it.", state=State.PARTIAL_OUTAGE,
        status=Status.IDENTIFIED, services=[api], at=NOW - dt.timedelta(hours=1), actor=actor,
    )


def opening(**changes: Any) -> dict[str, Any]:
    data = {"title": "API errors", "state": "major_outage", "status": "investigating",
            "text": "Requests **fail**.", "at": ""}
    return {**data, **changes}


def update(**changes: Any) -> dict[str, Any]:
    data = {"update-state": "partial_outage", "update-status": "monitoring",
            "update-scope": "all", "update-text": "A fix is out.", "update-at": ""}
    return {**data, **changes}


def incident_url(name: str, incident: Incident, *args: Any) -> str:
    return url(name, "acme", incident.pk, *args)


# Access


def incident_reads(incident: Incident) -> list[str]:
    return [url("incidents"), incident_url("incident", incident)]


def incident_writes(incident: Incident) -> list[tuple[str, dict[str, Any]]]:
    event = incident.latest_event
    assert event is not None
    return [
        (url("incident-new"), opening()),
        (url("incident-backfill"), {"title": "Old"}),
        (incident_url("incident-event", incident), update()),
        (incident_url("incident-close", incident), {"close-text": "Done."}),
        (incident_url("incident-edit", incident), {"title": "Renamed"}),
        (incident_url("incident-event-edit", incident, event.pk), {"text": "Changed."}),
        (incident_url("incident-delete", incident), {"confirmation": "DELETE"}),
    ]


def write_forms(incident: Incident) -> list[str]:
    event = incident.latest_event
    assert event is not None
    return [url("incident-new"), url("incident-backfill"), incident_url("incident-edit", incident),
            incident_url("incident-event-edit", incident, event.pk),
            incident_url("incident-delete", incident)]


def test_outsider_gets_404_everywhere(incident, outsider):
    client = signed_in(outsider)

    for address in [*incident_reads(incident), *write_forms(incident)]:
        assert client.get(address).status_code == 404, address
    for address, data in incident_writes(incident):
        assert client.post(address, data).status_code == 404, address
    assert Incident.objects.get(pk=incident.pk).title == "API errors"


def test_viewer_reads_but_cannot_write(incident, viewer):
    client = signed_in(viewer)

    for address in incident_reads(incident):
        assert client.get(address).status_code == 200, address
    detail = text_of(client.get(incident_url("incident", incident)))
    assert "Post an update" not in detail
    assert "Delete" not in detail
    for address in write_forms(incident):
        assert client.get(address).status_code == 403, address
    for address, data in incident_writes(incident):
        assert client.post(address, data).status_code == 403, address
    assert IncidentEvent.objects.filter(incident=incident).count() == 1
    assert Incident.objects.count() == 1


def test_editor_cannot_delete(incident, editor):
    client = signed_in(editor)

    assert client.get(incident_url("incident-delete", incident)).status_code == 403
    response = client.post(incident_url("incident-delete", incident), {"confirmation": "DELETE"})

    assert response.status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_open_rejects_post_without_csrf(page, editor):
    client = signed_in(editor, enforce_csrf=True)

    response = client.post(url("incident-new"), {**opening(), once.FIELD: once.new_token()})

    assert response.status_code == 403
    assert Incident.objects.count() == 0


# Open


def test_open_form_offers_opening_choices_only(page, editor, api):
    html = signed_in(editor).get(url("incident-new")).content.decode()

    states = re.findall(r'name="state" value="(\w+)"', html)
    statuses = re.findall(r'name="status" value="(\w+)"', html)
    assert states == ["degraded_performance", "partial_outage", "major_outage"]
    assert statuses == ["investigating", "identified", "monitoring"]
    assert f'name="services" value="{api.pk}"' in html
    assert "Europe/Berlin" in html


def test_open_publishes_incident(page, editor, api, web):
    client = signed_in(editor)

    response = post_form(client, url("incident-new"), url("incident-new"),
                         opening(services=[str(api.pk), str(web.pk)]))

    incident = Incident.objects.get(page=page)
    assert response.status_code == 302
    assert response["Location"] == incident_url("incident", incident)
    assert incident.state == State.MAJOR_OUTAGE
    assert incident.status == Status.INVESTIGATING
    assert incident.opened_at == NOW
    assert set(incident.services.all()) == {api, web}
    assert incident.latest_event is not None
    assert incident.latest_event.text == "Requests **fail**."
    public = client.get(f"/p/acme/incidents/{incident.pk}")
    assert "<strong>fail</strong>" in public.content.decode()


def test_open_as_operational_shows_rule_on_state(page, editor, api):
    client = signed_in(editor)

    response = post_form(client, url("incident-new"), url("incident-new"),
                         opening(state="operational", services=[str(api.pk)]))

    assert response.status_code == 422
    assert "cannot open as Operational" in field_errors(response, "id_state")
    assert input_value(response, "title") == "API errors"
    assert textarea_value(response, "text") == "Requests **fail**."
    assert checked_values(response, "services") == [str(api.pk)]
    assert checked_values(response, "status") == ["investigating"]
    assert Incident.objects.count() == 0


def test_open_as_resolved_shows_rule_on_status(page, editor):
    client = signed_in(editor)

    response = post_form(client, url("incident-new"), url("incident-new"),
                         opening(status="resolved"))

    assert response.status_code == 422
    assert "cannot open as Resolved" in field_errors(response, "id_status")
    assert checked_values(response, "state") == ["major_outage"]
    assert Incident.objects.count() == 0


def test_open_without_title_names_field(page, editor):
    response = post_form(signed_in(editor), url("incident-new"), url("incident-new"),
                         opening(title=""))

    assert response.status_code == 422
    assert field_errors(response, "id_title")
    assert textarea_value(response, "text") == "Requests **fail**."


def test_open_started_at_local_time(page, editor):
    client = signed_in(editor)

    post_form(client, url("incident-new"), url("incident-new"), opening(at="2026-03-10T09:30"))

    # 09:30 in Berlin in winter is 08:30 UTC.
    assert Incident.objects.get().opened_at == dt.datetime(2026, 3, 10, 8, 30, tzinfo=dt.UTC)
    detail = text_of(client.get(incident_url("incident", Incident.objects.get())))
    assert "09:30 CET" in detail


def test_open_started_in_future_is_rejected(page, editor):
    response = post_form(signed_in(editor), url("incident-new"), url("incident-new"),
                         opening(at="2026-03-10T12:00"))

    assert response.status_code == 409
    assert "in the future" in field_errors(response, "id_at")
    assert "12:00 CET" in field_errors(response, "id_at")
    assert "+00:00" not in field_errors(response, "id_at")
    assert input_value(response, "at") == "2026-03-10T12:00"
    assert Incident.objects.count() == 0


def test_open_started_at_garbage_is_rejected(page, editor):
    response = post_form(signed_in(editor), url("incident-new"), url("incident-new"),
                         opening(at="yesterday"))

    assert response.status_code == 422
    assert "is not a date and time" in field_errors(response, "id_at")


def test_open_twice_with_same_form_creates_one(page, editor):
    client = signed_in(editor)
    data = {**opening(), once.FIELD: form_token(client, url("incident-new"))}

    first = client.post(url("incident-new"), data)
    second = client.post(url("incident-new"), data)

    incident = Incident.objects.get()
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"] == incident_url("incident", incident)
    assert "not applied a second time" in text_of(client.get(second["Location"]))


def test_open_without_token_saves_nothing(page, editor):
    response = signed_in(editor).post(url("incident-new"), opening())

    assert response.status_code == 422
    assert "no valid one-time token" in text_of(response)
    assert input_value(response, "title") == "API errors"
    assert input_value(response, once.FIELD)
    assert Incident.objects.count() == 0


def test_open_preview_button_renders_without_saving(page, editor):
    client = signed_in(editor)

    response = post_form(client, url("incident-new"), url("incident-new"),
                         opening(text="Line one\n<script>x()</script>", preview="1"))

    assert response.status_code == 200
    html = response.content.decode()
    preview = html[html.index('id="id_text-preview"'):]
    assert "Line one<br" in preview
    assert "&lt;script&gt;" in preview
    assert "<script>x()" not in html
    assert textarea_value(response, "text") == "Line one\n&lt;script&gt;x()&lt;/script&gt;"
    assert Incident.objects.count() == 0


def test_open_summary_says_what_is_published(page, editor, api):
    response = post_form(signed_in(editor), url("incident-new"), url("incident-new"),
                         opening(services=[str(api.pk)], preview="1"))

    assert "Major outage · Investigating. Affected services: API." in text_of(response)


# One incident: updates, close, edit


def test_update_form_starts_from_latest_event(incident, editor):
    response = signed_in(editor).get(incident_url("incident", incident))

    assert checked_values(response, "update-state") == ["partial_outage"]
    assert checked_values(response, "update-status") == ["identified"]
    assert checked_values(response, "update-scope") == ["all"]


def test_update_form_offers_every_state(incident, editor):
    html = signed_in(editor).get(incident_url("incident", incident)).content.decode()

    assert re.findall(r'name="update-state" value="(\w+)"', html) == [
        "operational", "degraded_performance", "partial_outage", "major_outage"]
    assert "resolved" in re.findall(r'name="update-status" value="(\w+)"', html)


def test_post_update(incident, editor):
    client = signed_in(editor)

    response = post_form(client, incident_url("incident", incident),
                         incident_url("incident-event", incident), update())

    incident.refresh_from_db()
    assert response.status_code == 302
    assert incident.state == State.PARTIAL_OUTAGE
    assert incident.status == Status.MONITORING
    assert incident.events.count() == 2
    assert incident.is_open


def test_post_update_twice_creates_one_event(incident, editor):
    client = signed_in(editor)
    data = {**update(), once.FIELD: form_token(client, incident_url("incident", incident))}

    first = client.post(incident_url("incident-event", incident), data)
    second = client.post(incident_url("incident-event", incident), data)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert incident.events.count() == 2


def test_stale_form_with_new_text_posts_again(incident, editor):
    """Back, a new text, and submit: the old token with other input is a new update."""
    client = signed_in(editor)
    token = form_token(client, incident_url("incident", incident))

    client.post(incident_url("incident-event", incident), {**update(), once.FIELD: token})
    client.post(incident_url("incident-event", incident),
                {**update(**{"update-text": "Second fix."}), once.FIELD: token})

    assert list(incident.events.values_list("text", flat=True)) == [
        "We are looking into it.", "A fix is out.", "Second fix."]


def test_post_partial_fix_names_services(incident, editor, api, web):
    incidents.update_incident(incident, services=[api, web], actor=Actor.system())
    client = signed_in(editor)

    post_form(client, incident_url("incident", incident), incident_url("incident-event", incident),
              update(**{"update-scope": "some", "update-services": [str(web.pk)]}))

    event = incident.events.order_by("-at", "-id").first()
    assert event is not None
    assert event.services_override
    assert list(event.services.all()) == [web]
    follow_up = client.get(incident_url("incident", incident))
    assert checked_values(follow_up, "update-scope") == ["some"]
    assert checked_values(follow_up, "update-services") == [str(web.pk)]


def test_resolved_update_must_be_operational(incident, editor):
    response = post_form(signed_in(editor), incident_url("incident", incident),
                         incident_url("incident-event", incident),
                         update(**{"update-status": "resolved"}))

    assert response.status_code == 422
    assert "must be Operational" in field_errors(response, "id_update-state")
    assert textarea_value(response, "update-text") == "A fix is out."
    assert incident.events.count() == 1


def test_resolved_operational_update_closes(incident, editor):
    post_form(signed_in(editor), incident_url("incident", incident),
              incident_url("incident-event", incident),
              update(**{"update-status": "resolved", "update-state": "operational"}))

    incident.refresh_from_db()
    assert not incident.is_open
    assert incident.status == Status.RESOLVED


def test_update_before_previous_event_names_time(incident, editor):
    response = post_form(signed_in(editor), incident_url("incident", incident),
                         incident_url("incident-event", incident),
                         update(**{"update-at": "2026-03-10T09:30"}))

    # The incident opened at 09:00 UTC, 10:00 in Berlin.
    assert response.status_code == 409
    assert "before the previous event" in field_errors(response, "id_update-at")
    assert incident.events.count() == 1


def test_update_to_closed_incident_keeps_text(incident, editor):
    client = signed_in(editor)
    token = form_token(client, incident_url("incident", incident))
    incidents.close_incident(incident, actor=Actor.system())

    response = client.post(incident_url("incident-event", incident),
                           {**update(**{"update-text": "Typed before it closed."}),
                            once.FIELD: token})

    assert response.status_code == 409
    assert "closed while you were writing" in text_of(response)
    assert textarea_value(response, "update-text") == "Typed before it closed."


def test_close_with_text(incident, editor):
    post_form(signed_in(editor), incident_url("incident", incident),
              incident_url("incident-close", incident), {"close-text": "All good again."})

    incident.refresh_from_db()
    assert not incident.is_open
    assert incident.latest_event is not None
    assert incident.latest_event.text == "All good again."
    assert incident.latest_event.state == State.OPERATIONAL


def test_close_without_text_uses_default(incident, editor):
    post_form(signed_in(editor), incident_url("incident", incident),
              incident_url("incident-close", incident), {"close-text": ""})

    incident.refresh_from_db()
    assert incident.latest_event is not None
    assert incident.latest_event.text == incidents.DEFAULT_CLOSING_TEXT


def test_closed_incident_has_no_update_form(incident, editor):
    incidents.close_incident(incident, actor=Actor.system())

    text = text_of(signed_in(editor).get(incident_url("incident", incident)))

    assert "Post an update" not in text
    assert "Correct the text" in text


def test_edit_title_and_services(incident, editor, web):
    client = signed_in(editor)
    edit_url = incident_url("incident-edit", incident)

    post_form(client, edit_url, edit_url, {"title": "Website errors", "services": [str(web.pk)]})

    incident.refresh_from_db()
    assert incident.title == "Website errors"
    assert list(incident.services.all()) == [web]


def test_correct_event_text_keeps_old_in_audit(incident, editor):
    event = incident.latest_event
    assert event is not None
    edit_url = incident_url("incident-event-edit", incident, event.pk)

    post_form(signed_in(editor), edit_url, edit_url, {"text": "We are on it."})

    event.refresh_from_db()
    assert event.text == "We are on it."
    assert event.edited_at is not None
    entry = AuditEntry.objects.get(action="incident.event.edit")
    assert entry.before == {"text": "We are looking into it."}


def test_correct_event_of_other_incident_is_404(incident, editor, page, actor):
    other = incidents.open_incident(page, title="Other", text="x", state=State.MAJOR_OUTAGE,
                                    status=Status.INVESTIGATING, actor=actor)
    assert other.latest_event is not None

    response = signed_in(editor).get(incident_url("incident-event-edit", incident,
                                                  other.latest_event.pk))

    assert response.status_code == 404


# Delete


def test_delete_with_typed_title(incident, owner):
    client = signed_in(owner)

    response = client.post(incident_url("incident-delete", incident),
                           {"confirmation": " API errors "})

    assert response.status_code == 302
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert AuditEntry.objects.filter(action="incident.delete").count() == 1


def test_delete_with_word(incident, owner):
    signed_in(owner).post(incident_url("incident-delete", incident), {"confirmation": "DELETE"})

    assert not Incident.objects.filter(pk=incident.pk).exists()


def test_delete_with_wrong_confirmation_keeps_it(incident, owner):
    response = signed_in(owner).post(incident_url("incident-delete", incident),
                                     {"confirmation": "api errors"})

    assert response.status_code == 422
    assert "matches neither the title nor DELETE" in field_errors(response, "id_confirmation")
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_delete_resent_is_harmless(incident, owner):
    client = signed_in(owner)

    client.post(incident_url("incident-delete", incident), {"confirmation": "DELETE"})
    second = client.post(incident_url("incident-delete", incident), {"confirmation": "DELETE"})

    assert second.status_code == 302
    assert "already deleted" in text_of(client.get(url("incidents")))


# The list


def test_list_shows_open_then_recent(page, editor, actor):
    closed = incidents.open_incident(page, title="Closed one", text="x",
                                     state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                     at=NOW - dt.timedelta(hours=3), actor=actor)
    incidents.close_incident(closed, actor=actor)
    incidents.open_incident(page, title="Open one", text="x", state=State.MAJOR_OUTAGE,
                            status=Status.INVESTIGATING, actor=actor)

    text = text_of(signed_in(editor).get(url("incidents")))

    assert text.index("Open now") < text.index("Open one") < text.index("Recently closed")
    assert text.index("Recently closed") < text.index("Closed one")


def test_list_pages_closed_incidents(page, editor, actor):
    for number in range(25):
        closed = incidents.open_incident(
            page, title=f"Closed {number:02d}", text="x", state=State.MAJOR_OUTAGE,
            status=Status.INVESTIGATING, at=NOW - dt.timedelta(hours=30 - number), actor=actor)
        incidents.close_incident(closed, at=NOW - dt.timedelta(hours=29 - number), actor=actor)
    client = signed_in(editor)

    first = text_of(client.get(url("incidents")))
    second = text_of(client.get(url("incidents") + "?page=2"))

    assert "Closed 24" in first
    assert "Closed 05" in first
    assert "Closed 04" not in first
    assert "Closed 04" in second
    assert "Page 2 of 2" in second


# Backfill


def rows(*events: dict[str, str]) -> dict[str, str]:
    data = {"events-TOTAL_FORMS": str(max(len(events), 3)), "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "50"}
    for index, event in enumerate(events):
        for name, value in event.items():
            data[f"events-{index}-{name}"] = value
    return data


def test_backfill_records_past_incident(page, editor, api):
    client = signed_in(editor)

    response = post_form(client, url("incident-backfill"), url("incident-backfill"), {
        "title": "Night outage", "services": [str(api.pk)],
        **rows({"at": "2026-03-08T23:30", "state": "major_outage", "status": "investigating",
                "text": "Down."},
               {"at": "2026-03-09T00:15", "state": "partial_outage", "status": "monitoring",
                "text": "Recovering."},
               {"at": "2026-03-09T01:00", "state": "", "status": "resolved", "text": "Fixed."}),
    })

    incident = Incident.objects.get(title="Night outage")
    assert response.status_code == 302
    assert incident.backfilled
    assert incident.opened_at == dt.datetime(2026, 3, 8, 22, 30, tzinfo=dt.UTC)
    assert incident.closed_at == dt.datetime(2026, 3, 9, 0, 0, tzinfo=dt.UTC)
    assert list(incident.events.values_list("state", flat=True)) == [
        "major_outage", "partial_outage", "operational"]


def test_backfill_skips_empty_rows(page, editor):
    post_form(signed_in(editor), url("incident-backfill"), url("incident-backfill"), {
        "title": "Short", **rows(
            {"at": "2026-03-08T10:00", "state": "major_outage", "status": "investigating",
             "text": "Down."},
            {"at": "", "state": "", "status": "", "text": ""},
            {"at": "2026-03-08T10:30", "state": "", "status": "resolved", "text": "Up."}),
    })

    assert Incident.objects.get(title="Short").events.count() == 2


def test_backfill_last_row_must_be_resolved(page, editor):
    response = post_form(signed_in(editor), url("incident-backfill"), url("incident-backfill"), {
        "title": "Unfinished", **rows(
            {"at": "2026-03-08T10:00", "state": "major_outage", "status": "investigating",
             "text": "Down."},
            {"at": "2026-03-08T10:30", "state": "partial_outage", "status": "monitoring",
             "text": "Better."}),
    })

    assert response.status_code == 422
    assert "must be resolved" in field_errors(response, "id_events-1-status")
    assert input_value(response, "events-1-at") == "2026-03-08T10:30"
    assert textarea_value(response, "events-0-text") == "Down."
    assert Incident.objects.count() == 0


def test_backfill_out_of_order_names_row(page, editor):
    response = post_form(signed_in(editor), url("incident-backfill"), url("incident-backfill"), {
        "title": "Backwards", **rows(
            {"at": "2026-03-08T10:00", "state": "major_outage", "status": "investigating",
             "text": "Down."},
            {"at": "2026-03-08T09:00", "state": "", "status": "resolved", "text": "Up."}),
    })

    assert response.status_code == 422
    assert "The time is before the event above it" in field_errors(response, "id_events-1-at")


def test_backfill_needs_a_row(page, editor):
    response = post_form(signed_in(editor), url("incident-backfill"), url("incident-backfill"),
                         {"title": "Empty", **rows()})

    assert response.status_code == 422
    assert "Add at least one update" in text_of(response)


def test_backfill_add_row_keeps_input(page, editor):
    response = post_form(signed_in(editor), url("incident-backfill"), url("incident-backfill"), {
        "title": "Growing", "add_row": "1", **rows(
            {"at": "2026-03-08T10:00", "state": "major_outage", "status": "investigating",
             "text": "Down."}),
    })

    assert response.status_code == 200
    assert input_value(response, "events-TOTAL_FORMS") == "4"
    assert input_value(response, "events-0-at") == "2026-03-08T10:00"
    assert input_value(response, "title") == "Growing"
    assert Incident.objects.count() == 0
