"""The services screen: access per role, add, edit, group, reorder and remove."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from heliograph.console import once
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Page, Service, ServiceGroup
from heliograph.domain.vocab import State, Status
from tests.console.work_support import (
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


def names(page: Page) -> list[str]:
    return list(Service.objects.filter(page=page).order_by("position", "id")
                .values_list("name", flat=True))


def outline(response: Any) -> list[str]:
    """Return the blocks and services of the screen in order, services indented."""
    html = response.content.decode()
    found = re.findall(r'class="(block-name|service-name)">(.*?)</(?:h2|span)>', html)
    return [re.sub(r"<[^>]+>", "", text) if kind == "block-name" else f"  {text}"
            for kind, text in found]


@pytest.fixture
def three(add_service: Callable[..., Service]) -> list[Service]:
    return [add_service(name) for name in ("API", "Website", "Database")]


# Access


def service_writes(service: Service, group: ServiceGroup) -> list[tuple[str, dict[str, Any]]]:
    """Return every write of the screen as (URL, form data)."""
    return [
        (url("services"), {"name": "New"}),
        (url("service-edit", "acme", service.pk), {"name": "Renamed"}),
        (url("service-move", "acme", service.pk), {"direction": "down", "scope": "service"}),
        (url("service-order"), {"order": str(service.pk)}),
        (url("service-remove", "acme", service.pk), {}),
        (url("group-remove", "acme", group.pk), {}),
    ]


def service_reads(service: Service) -> list[str]:
    return [url("services"), url("service-edit", "acme", service.pk),
            url("service-remove", "acme", service.pk)]


def test_outsider_gets_404_everywhere(page, outsider, add_service):
    group = pages.add_group(page, name="Core", actor=Actor.system())
    service = add_service("API", group=group)
    client = signed_in(outsider)

    for address in service_reads(service):
        assert client.get(address).status_code == 404, address
    for address, data in service_writes(service, group):
        assert client.post(address, data).status_code == 404, address
    assert Service.objects.get(pk=service.pk).name == "API"


def test_viewer_reads_but_cannot_write(page, viewer, add_service):
    group = pages.add_group(page, name="Core", actor=Actor.system())
    service = add_service("API", group=group)
    client = signed_in(viewer)

    listing = client.get(url("services"))
    assert listing.status_code == 200
    assert "API" in text_of(listing)
    assert "Add a service" not in text_of(listing)
    assert client.get(url("service-edit", "acme", service.pk)).status_code == 403
    for address, data in service_writes(service, group):
        assert client.post(address, data).status_code == 403, address
    assert names(page) == ["API"]
    assert ServiceGroup.objects.filter(pk=group.pk).exists()


def test_anonymous_is_sent_to_login(page):
    response = signed_in(None).get(url("services"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_add_rejects_post_without_csrf(page, editor):
    client = signed_in(editor, enforce_csrf=True)

    response = client.post(url("services"), {"name": "API", once.FIELD: once.new_token()})

    assert response.status_code == 403
    assert names(page) == []


# Add and edit


def test_add_service_into_new_group(page, editor):
    client = signed_in(editor)

    response = post_form(client, url("services"), url("services"), {
        "name": "Payments", "description": "Card payments.", "group": "new",
        "new_group": "Billing",
    })

    assert response.status_code == 302
    service = Service.objects.get(page=page, name="Payments")
    assert service.description == "Card payments."
    assert service.group is not None
    assert service.group.name == "Billing"
    assert response["Location"] == f"{url('services')}#service-{service.pk}"


def test_add_service_into_existing_group(page, editor):
    group = pages.add_group(page, name="Core", actor=Actor.system())
    client = signed_in(editor)

    post_form(client, url("services"), url("services"), {"name": "API", "group": str(group.pk)})

    assert Service.objects.get(page=page, name="API").group == group


def test_add_new_group_needs_name(page, editor):
    client = signed_in(editor)

    response = post_form(client, url("services"), url("services"), {
        "name": "Payments", "description": "Kept as typed.", "group": "new", "new_group": "",
    })

    assert response.status_code == 422
    assert "Type the name of the new group" in field_errors(response, "id_new_group")
    assert input_value(response, "name") == "Payments"
    assert textarea_value(response, "description") == "Kept as typed."
    assert names(page) == []


def test_add_duplicate_name_shows_error_on_name(page, editor, add_service):
    add_service("API")
    client = signed_in(editor)

    response = post_form(client, url("services"), url("services"), {
        "name": "api", "description": "Second try.",
    })

    assert response.status_code == 422
    assert "already exists" in field_errors(response, "id_name")
    assert input_value(response, "name") == "api"
    assert textarea_value(response, "description") == "Second try."
    assert names(page) == ["API"]


def test_add_duplicate_group_rolls_back_service(page, editor):
    pages.add_group(page, name="Core", actor=Actor.system())
    client = signed_in(editor)

    response = post_form(client, url("services"), url("services"), {
        "name": "API", "group": "new", "new_group": "core",
    })

    assert response.status_code == 422
    assert "already exists" in field_errors(response, "id_new_group")
    assert names(page) == []


def test_edit_renames_and_ungroups(page, editor):
    group = pages.add_group(page, name="Core", actor=Actor.system())
    service = pages.add_service(page, name="API", group=group, actor=Actor.system())
    client = signed_in(editor)
    edit_url = url("service-edit", "acme", service.pk)

    form = client.get(edit_url)
    assert input_value(form, "name") == "API"
    response = post_form(client, edit_url, edit_url, {
        "name": "Public API", "description": "REST and GraphQL.", "group": "",
    })

    assert response.status_code == 302
    service.refresh_from_db()
    assert service.name == "Public API"
    assert service.description == "REST and GraphQL."
    assert service.group is None


def test_edit_with_taken_name_keeps_input(page, editor, three):
    client = signed_in(editor)
    edit_url = url("service-edit", "acme", three[0].pk)

    response = post_form(client, edit_url, edit_url, {
        "name": "Website", "description": "Typed text.",
    })

    assert response.status_code == 422
    assert "already exists" in field_errors(response, "id_name")
    assert input_value(response, "name") == "Website"
    assert textarea_value(response, "description") == "Typed text."
    assert names(page) == ["API", "Website", "Database"]


# Order


def test_list_shows_groups_whole_at_first_service(page, owner):
    actor = Actor.of_user(owner)
    core = pages.add_group(page, name="Core", actor=actor)
    for name, group in (("API", core), ("Website", None), ("Database", core)):
        pages.add_service(page, name=name, group=group, actor=actor)

    response = signed_in(owner).get(url("services"))

    assert outline(response) == ["Core", "  API", "  Database", "Not in a group", "  Website"]


def test_move_down_without_script(page, editor, three):
    client = signed_in(editor)
    move_url = url("service-move", "acme", three[0].pk)

    response = post_form(client, url("services"), move_url,
                         {"direction": "down", "scope": "service"})

    assert response.status_code == 302
    assert names(page) == ["Website", "API", "Database"]


def test_move_up_at_top_changes_nothing(page, editor, three):
    client = signed_in(editor)
    before = AuditEntry.objects.filter(page=page, action="service.reorder").count()

    response = post_form(client, url("services"), url("service-move", "acme", three[0].pk),
                         {"direction": "up", "scope": "service"})

    assert response.status_code == 302
    assert names(page) == ["API", "Website", "Database"]
    assert AuditEntry.objects.filter(page=page, action="service.reorder").count() == before
    assert "already first" in text_of(client.get(url("services")))


def test_move_stays_within_group(page, owner):
    actor = Actor.of_user(owner)
    core = pages.add_group(page, name="Core", actor=actor)
    api = pages.add_service(page, name="API", group=core, actor=actor)
    pages.add_service(page, name="Website", actor=actor)
    client = signed_in(owner)

    post_form(client, url("services"), url("service-move", "acme", api.pk),
              {"direction": "down", "scope": "service"})

    assert names(page) == ["API", "Website"]


def test_move_whole_group_down(page, owner):
    actor = Actor.of_user(owner)
    core = pages.add_group(page, name="Core", actor=actor)
    edge = pages.add_group(page, name="Edge", actor=actor)
    api = pages.add_service(page, name="API", group=core, actor=actor)
    pages.add_service(page, name="CDN", group=edge, actor=actor)
    pages.add_service(page, name="Database", group=core, actor=actor)
    pages.add_service(page, name="DNS", group=edge, actor=actor)
    client = signed_in(owner)

    post_form(client, url("services"), url("service-move", "acme", api.pk),
              {"direction": "down", "scope": "block"})

    assert names(page) == ["CDN", "DNS", "API", "Database"]


def test_move_resent_moves_once(page, editor, three):
    client = signed_in(editor)
    data = {once.FIELD: form_token(client, url("services")), "direction": "down",
            "scope": "service"}
    move_url = url("service-move", "acme", three[0].pk)

    first = client.post(move_url, data)
    second = client.post(move_url, data)

    assert first.status_code == second.status_code == 302
    assert names(page) == ["Website", "API", "Database"]
    assert "not applied a second time" in text_of(client.get(url("services")))


def test_order_endpoint_saves_full_order(page, editor, three):
    api, website, database = three
    client = signed_in(editor)

    response = client.post(url("service-order"),
                           {"order": f"{database.pk},{api.pk},{website.pk}"})

    assert response.status_code == 200
    assert json.loads(response.content) == {"order": [database.pk, api.pk, website.pk]}
    assert names(page) == ["Database", "API", "Website"]


def test_order_endpoint_rejects_stale_list(page, editor, three):
    client = signed_in(editor)

    response = client.post(url("service-order"), {"order": f"{three[1].pk},{three[0].pk}"})

    assert response.status_code == 409
    assert "reload" in json.loads(response.content)["error"]
    assert names(page) == ["API", "Website", "Database"]


def test_order_endpoint_rejects_garbage(page, editor, three):
    response = signed_in(editor).post(url("service-order"), {"order": "1,two"})

    assert response.status_code == 400
    assert "not a list of service ids" in json.loads(response.content)["error"]


def test_order_endpoint_rejects_foreign_service(page, editor, outsider, three):
    other = Page.objects.get(slug="other")
    stranger = pages.add_service(other, name="Theirs", actor=Actor.system())
    ids = ",".join(str(service.pk) for service in [*three, stranger])

    response = signed_in(editor).post(url("service-order"), {"order": ids})

    assert response.status_code == 409
    assert names(page) == ["API", "Website", "Database"]


# Remove


def test_remove_confirmation_lists_what_it_affects(page, owner, editor, three):
    api = three[0]
    actor = Actor.of_user(owner)
    now = timezone.now()
    incidents.open_incident(page, title="API errors", text="Looking.", state=State.MAJOR_OUTAGE,
                            status=Status.INVESTIGATING, services=[api], actor=actor)
    incidents.backfill_incident(page, title="Old outage", services=[api], actor=actor, events=[
        incidents.PastEvent(at=now - dt.timedelta(days=3), status=Status.INVESTIGATING,
                            text="Down.", state=State.MAJOR_OUTAGE),
        incidents.PastEvent(at=now - dt.timedelta(days=3, hours=-1), status=Status.RESOLVED,
                            text="Up."),
    ])
    maintenances.schedule_maintenance(
        page, title="API upgrade", description="", starts_at=now + dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1, hours=1), services=[api], actor=actor,
    )

    response = signed_in(editor).get(url("service-remove", "acme", api.pk))

    assert response.status_code == 200
    text = text_of(response)
    assert "1 open incident will no longer name it" in text
    assert "API errors" in text
    assert "1 past incident in the history will no longer name it" in text
    assert "1 scheduled or running maintenance will no longer name it" in text
    assert "API upgrade" in text
    assert "90-day strip" in text
    assert names(page) == ["API", "Website", "Database"]


def test_remove_deletes_and_resend_is_harmless(page, editor, three):
    client = signed_in(editor)
    remove_url = url("service-remove", "acme", three[0].pk)

    first = client.post(remove_url)
    second = client.post(remove_url)

    assert first.status_code == second.status_code == 302
    assert names(page) == ["Website", "Database"]
    assert "already removed" in text_of(client.get(url("services")))


def test_remove_group_keeps_services(page, editor):
    group = pages.add_group(page, name="Core", actor=Actor.system())
    pages.add_service(page, name="API", group=group, actor=Actor.system())

    response = signed_in(editor).post(url("group-remove", "acme", group.pk))

    assert response.status_code == 302
    assert not ServiceGroup.objects.filter(pk=group.pk).exists()
    assert Service.objects.get(page=page, name="API").group is None


def test_add_new_group_typed_without_choosing(page, editor):
    client = signed_in(editor)

    post_form(client, url("services"), url("services"), {
        "name": "Mail", "group": "", "new_group": "Core",
    })

    service = Service.objects.get(page=page, name="Mail")
    assert service.group is not None
    assert service.group.name == "Core"


def test_add_new_group_typed_beside_existing_rejected(page, editor):
    group = pages.add_group(page, name="Edge", actor=Actor.system())
    client = signed_in(editor)

    response = post_form(client, url("services"), url("services"), {
        "name": "Mail", "group": str(group.pk), "new_group": "Core",
    })

    assert response.status_code == 422
    assert not Service.objects.filter(page=page, name="Mail").exists()


def test_remove_service_of_another_page_is_404(page, editor, outsider):
    other = Page.objects.get(slug="other")
    foreign = pages.add_service(other, name="Theirs", actor=Actor.system())
    client = signed_in(editor)

    response = client.post(url("service-remove", "acme", foreign.pk))

    assert response.status_code == 404
    assert Service.objects.filter(pk=foreign.pk).exists()
