"""The maintenance screens: access per role, schedule in local time (DST included), update,
close, edit, delete, and overdue ones flagged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from heliograph.console import once
from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus
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

# Early March in Berlin (CET, UTC+1): both DST changes of 2026 are ahead.
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
UTC = dt.UTC


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def page(make_page: Callable[..., Page]) -> Page:
    return make_page("acme", title="Acme", time_zone="Europe/Berlin")


@pytest.fixture
def database(add_service: Callable[..., Service]) -> Service:
    return add_service("Database")


@pytest.fixture
def maintenance(page: Page, database: Service, actor: Actor) -> Maintenance:
    return maintenances.schedule_maintenance(
        page, title="Database upgrade", description="We upgrade **PostgreSQL**.",
        starts_at=dt.datetime(2026, 3, 5, 21, 0, tzinfo=UTC),
        ends_at=dt.datetime(2026, 3, 5, 23, 0, tzinfo=UTC), services=[database], actor=actor,
    )


def window(**changes: Any) -> dict[str, Any]:
    data = {"title": "Database upgrade", "description": "Short **pause**.",
            "starts_at": "2026-03-05T22:00", "ends_at": "2026-03-05T23:30", "auto": ""}
    return {**data, **changes}


def schedule(client: Any, **changes: Any) -> Any:
    return post_form(client, url("maintenance-new"), url("maintenance-new"), window(**changes))


def maintenance_url(name: str, maintenance: Maintenance) -> str:
    return url(name, "acme", maintenance.pk)


# Access


def maintenance_writes(maintenance: Maintenance) -> list[tuple[str, dict[str, Any]]]:
    return [
        (url("maintenance-new"), window()),
        (maintenance_url("maintenance-event", maintenance), {"update-text": "Started."}),
        (maintenance_url("maintenance-close", maintenance), {"close-text": "Done."}),
        (maintenance_url("maintenance-edit", maintenance), window(title="Renamed")),
        (maintenance_url("maintenance-delete", maintenance), {"confirmation": "DELETE"}),
    ]


def test_outsider_gets_404_everywhere(maintenance, outsider):
    client = signed_in(outsider)
    reads = [url("maintenances"), url("maintenance-new"),
             maintenance_url("maintenance", maintenance),
             maintenance_url("maintenance-edit", maintenance),
             maintenance_url("maintenance-delete", maintenance)]

    for address in reads:
        assert client.get(address).status_code == 404, address
    for address, data in maintenance_writes(maintenance):
        assert client.post(address, data).status_code == 404, address
    assert Maintenance.objects.get(pk=maintenance.pk).title == "Database upgrade"


def test_viewer_reads_but_cannot_write(maintenance, viewer):
    client = signed_in(viewer)

    assert client.get(url("maintenances")).status_code == 200
    detail = client.get(maintenance_url("maintenance", maintenance))
    assert detail.status_code == 200
    assert "Post an update" not in text_of(detail)
    for address in (url("maintenance-new"), maintenance_url("maintenance-edit", maintenance),
                    maintenance_url("maintenance-delete", maintenance)):
        assert client.get(address).status_code == 403, address
    for address, data in maintenance_writes(maintenance):
        assert client.post(address, data).status_code == 403, address
    assert Maintenance.objects.count() == 1
    assert maintenance.events.count() == 0


def test_editor_cannot_delete(maintenance, editor):
    response = signed_in(editor).post(maintenance_url("maintenance-delete", maintenance),
                                      {"confirmation": "DELETE"})

    assert response.status_code == 403
    assert Maintenance.objects.filter(pk=maintenance.pk).exists()


def test_schedule_rejects_post_without_csrf(page, editor):
    client = signed_in(editor, enforce_csrf=True)

    response = client.post(url("maintenance-new"), {**window(), once.FIELD: once.new_token()})

    assert response.status_code == 403
    assert Maintenance.objects.count() == 0


# Schedule


def test_schedule_form_names_zone(page, editor):
    text = text_of(signed_in(editor).get(url("maintenance-new")))

    assert "Starts (Europe/Berlin)" in text
    assert "Ends (Europe/Berlin)" in text
    assert "Europe/Berlin (CET, UTC+01:00 now)" in text


def test_schedule_stores_utc(page, editor, database):
    client = signed_in(editor)

    response = schedule(client, services=[str(database.pk)], auto="on")

    maintenance = Maintenance.objects.get()
    assert response.status_code == 302
    assert maintenance.starts_at == dt.datetime(2026, 3, 5, 21, 0, tzinfo=UTC)
    assert maintenance.ends_at == dt.datetime(2026, 3, 5, 22, 30, tzinfo=UTC)
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert maintenance.auto_transition is True
    assert list(maintenance.services.all()) == [database]
    detail = text_of(client.get(response["Location"]))
    assert "22:00 CET \N{EN DASH} 23:30 CET" in detail


def test_schedule_across_dst_names_both_zones(page, editor):
    client = signed_in(editor)

    response = schedule(client, starts_at="2026-03-28T23:00", ends_at="2026-03-29T04:00")

    maintenance = Maintenance.objects.get()
    assert maintenance.starts_at == dt.datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert maintenance.ends_at == dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    detail = text_of(client.get(response["Location"]))
    assert "23:00 CET" in detail
    assert "04:00 CEST" in detail


def test_schedule_end_before_start_keeps_input(page, editor, database):
    response = schedule(signed_in(editor), ends_at="2026-03-05T21:00",
                        services=[str(database.pk)])

    assert response.status_code == 422
    assert "is not after the start" in field_errors(response, "id_ends_at")
    assert input_value(response, "starts_at") == "2026-03-05T22:00"
    assert input_value(response, "ends_at") == "2026-03-05T21:00"
    assert input_value(response, "title") == "Database upgrade"
    assert textarea_value(response, "description") == "Short **pause**."
    assert checked_values(response, "services") == [str(database.pk)]
    assert Maintenance.objects.count() == 0


def test_schedule_missing_start_names_field(page, editor):
    response = schedule(signed_in(editor), starts_at="")

    assert response.status_code == 422
    assert field_errors(response, "id_starts_at")
    assert Maintenance.objects.count() == 0


def test_schedule_in_dst_gap_is_rejected(page, editor):
    """Clocks in Berlin jump from 02:00 to 03:00 on 2026-03-29: 02:30 does not exist."""
    response = schedule(signed_in(editor), starts_at="2026-03-29T02:30",
                        ends_at="2026-03-29T04:00")

    assert response.status_code == 422
    error = field_errors(response, "id_starts_at")
    assert "2026-03-29 02:30 does not exist in Europe/Berlin" in error
    assert "jump from 02:00 to 03:00" in error
    assert input_value(response, "starts_at") == "2026-03-29T02:30"
    assert Maintenance.objects.count() == 0


def test_schedule_in_repeated_hour_asks_which(page, editor):
    """Clocks in Berlin go back from 03:00 to 02:00 on 2026-10-25: 02:30 happens twice."""
    response = schedule(signed_in(editor), starts_at="2026-10-25T02:30",
                        ends_at="2026-10-25T05:00")

    assert response.status_code == 422
    assert "happens twice in Europe/Berlin" in field_errors(response, "id_starts_at")
    text = text_of(response)
    assert "02:30 CEST (UTC+02:00), the first" in text
    assert "02:30 CET (UTC+01:00), the second" in text
    assert Maintenance.objects.count() == 0


@pytest.mark.parametrize(("fold", "expected"), [
    ("0", dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("1", dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
])
def test_schedule_in_repeated_hour_with_choice(page, editor, fold, expected):
    response = schedule(signed_in(editor), starts_at="2026-10-25T02:30",
                        starts_at_fold=fold, ends_at="2026-10-25T05:00")

    assert response.status_code == 302
    assert Maintenance.objects.get().starts_at == expected


def test_schedule_twice_with_same_form_creates_one(page, editor):
    client = signed_in(editor)
    data = {**window(), once.FIELD: form_token(client, url("maintenance-new"))}

    first = client.post(url("maintenance-new"), data)
    second = client.post(url("maintenance-new"), data)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Maintenance.objects.count() == 1


def test_schedule_preview_button_saves_nothing(page, editor):
    response = schedule(signed_in(editor), preview="1")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Short <strong>pause</strong>." in html[html.index('id="id_description-preview"'):]
    assert Maintenance.objects.count() == 0


# Edit


def test_edit_shows_local_times(maintenance, editor):
    response = signed_in(editor).get(maintenance_url("maintenance-edit", maintenance))

    assert input_value(response, "starts_at") == "2026-03-05T22:00"
    assert input_value(response, "ends_at") == "2026-03-06T00:00"


def test_edit_keeps_second_reading_of_repeated_hour(page, editor, actor):
    later = maintenances.schedule_maintenance(
        page, title="Night work", description="",
        starts_at=dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        ends_at=dt.datetime(2026, 10, 25, 4, 0, tzinfo=UTC), actor=actor,
    )
    client = signed_in(editor)
    edit_url = maintenance_url("maintenance-edit", later)

    form = client.get(edit_url)
    assert checked_values(form, "starts_at_fold") == ["1"]
    post_form(client, edit_url, edit_url, window(
        title="Night work, renamed", starts_at="2026-10-25T02:30", starts_at_fold="1",
        ends_at="2026-10-25T05:00"))

    later.refresh_from_db()
    assert later.title == "Night work, renamed"
    assert later.starts_at == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_edit_moves_window(maintenance, editor):
    edit_url = maintenance_url("maintenance-edit", maintenance)

    response = post_form(signed_in(editor), edit_url, edit_url,
                         window(starts_at="2026-03-06T20:00", ends_at="2026-03-06T21:00"))

    assert response.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.starts_at == dt.datetime(2026, 3, 6, 19, 0, tzinfo=UTC)
    assert maintenance.ends_at == dt.datetime(2026, 3, 6, 20, 0, tzinfo=UTC)


def test_edit_completed_keeps_window(maintenance, editor, actor):
    maintenances.close_maintenance(maintenance, actor=actor)
    edit_url = maintenance_url("maintenance-edit", maintenance)

    response = post_form(signed_in(editor), edit_url, edit_url,
                         window(title="Renamed", starts_at="2026-03-06T20:00",
                                ends_at="2026-03-06T21:00"))

    assert response.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.title == "Renamed"
    assert maintenance.starts_at == dt.datetime(2026, 3, 5, 21, 0, tzinfo=UTC)


# Updates and closing


def test_first_update_starts_maintenance(maintenance, editor):
    response = post_form(signed_in(editor), maintenance_url("maintenance", maintenance),
                         maintenance_url("maintenance-event", maintenance),
                         {"update-status": "in_progress", "update-text": "Started.",
                          "update-at": ""})

    assert response.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert maintenance.started_at == NOW


def test_note_before_start_stays_scheduled(maintenance, editor):
    post_form(signed_in(editor), maintenance_url("maintenance", maintenance),
              maintenance_url("maintenance-event", maintenance),
              {"update-status": "scheduled", "update-text": "Still on.", "update-at": ""})

    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert maintenance.events.count() == 1


def test_in_progress_cannot_go_back_to_scheduled(maintenance, editor, actor):
    maintenances.post_event(maintenance, text="Started.", actor=actor)

    response = post_form(signed_in(editor), maintenance_url("maintenance", maintenance),
                         maintenance_url("maintenance-event", maintenance),
                         {"update-status": "scheduled", "update-text": "Oops.",
                          "update-at": ""})

    assert response.status_code == 422
    assert "cannot go back to Scheduled" in field_errors(response, "id_update-status")
    assert textarea_value(response, "update-text") == "Oops."
    assert maintenance.events.count() == 1


def test_update_twice_creates_one_event(maintenance, editor):
    client = signed_in(editor)
    data = {"update-status": "in_progress", "update-text": "Started.", "update-at": "",
            once.FIELD: form_token(client, maintenance_url("maintenance", maintenance))}

    client.post(maintenance_url("maintenance-event", maintenance), data)
    client.post(maintenance_url("maintenance-event", maintenance), data)

    assert maintenance.events.count() == 1


def test_close_completes(maintenance, editor):
    client = signed_in(editor)

    post_form(client, maintenance_url("maintenance", maintenance),
              maintenance_url("maintenance-close", maintenance), {"close-text": ""})

    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    event = maintenance.events.get()
    assert event.text == maintenances.DEFAULT_CLOSING_TEXT
    assert "Post an update" not in text_of(client.get(maintenance_url("maintenance",
                                                                       maintenance)))


def test_update_after_completion_keeps_text(maintenance, editor, actor):
    client = signed_in(editor)
    token = form_token(client, maintenance_url("maintenance", maintenance))
    maintenances.close_maintenance(maintenance, actor=actor)

    response = client.post(maintenance_url("maintenance-event", maintenance), {
        "update-status": "in_progress", "update-text": "Typed meanwhile.", "update-at": "",
        once.FIELD: token})

    assert response.status_code == 409
    assert "completed while you were writing" in text_of(response)
    assert textarea_value(response, "update-text") == "Typed meanwhile."


# Overdue


def test_overdue_is_flagged(maintenance, editor, clock):
    clock.move_to(dt.datetime(2026, 3, 6, 8, 0, tzinfo=UTC))
    client = signed_in(editor)

    listing = text_of(client.get(url("maintenances")))
    detail = text_of(client.get(maintenance_url("maintenance", maintenance)))

    assert "Overdue" in listing
    assert listing.index("Overdue") < listing.index("Database upgrade") < listing.index(
        "In progress")
    assert "The window ended" in detail
    assert "still scheduled" in detail


def test_upcoming_is_not_overdue(maintenance, editor):
    listing = text_of(signed_in(editor).get(url("maintenances")))

    assert "Overdue" not in listing
    assert listing.index("Scheduled") < listing.index("Database upgrade")


# Delete


def test_delete_with_typed_title(maintenance, owner):
    response = signed_in(owner).post(maintenance_url("maintenance-delete", maintenance),
                                     {"confirmation": "Database upgrade"})

    assert response.status_code == 302
    assert not Maintenance.objects.filter(pk=maintenance.pk).exists()


def test_delete_with_wrong_confirmation_keeps_it(maintenance, owner):
    response = signed_in(owner).post(maintenance_url("maintenance-delete", maintenance),
                                     {"confirmation": "yes"})

    assert response.status_code == 422
    assert "matches neither the title nor DELETE" in field_errors(response, "id_confirmation")
    assert Maintenance.objects.filter(pk=maintenance.pk).exists()
