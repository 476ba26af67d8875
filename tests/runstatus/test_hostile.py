"""Hostile input to the Runstatus API: clear 4xx responses, never a 500, nothing half-stored."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from heliograph.domain.models import AuditEntry, Incident, Page, Service
from tests.runstatus.support import PREFIX, RunstatusClient, exoscale_date

pytestmark = pytest.mark.django_db

INCIDENT = {"title": "Errors", "status_text": "Some fail.", "state": "major_outage",
            "status": "investigating", "services": []}


@pytest.mark.parametrize(("field", "value"), [
    ("title", "Broken\x00title"),
    ("title", "Line\nbreak"),
    ("title", "Reversed \u202etxet"),
    ("status_text", "Bell \x07 text"),
])
def test_control_characters_rejected(api: RunstatusClient, page: Page, field: str,
                                     value: str) -> None:
    response = api.post("/pages/acme/incidents", INCIDENT | {field: value})

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "control character" in response.json()[field][0]
    assert not Incident.objects.exists()


def test_nul_in_service_name_rejected(api: RunstatusClient, page: Page) -> None:
    response = api.post("/pages/acme/services", {"name": "A\x00B"})

    assert response.status_code == 400
    assert not Service.objects.exists()


def test_nul_in_service_reference_rejected(api: RunstatusClient, page: Page) -> None:
    response = api.post("/pages/acme/incidents", INCIDENT | {"services": ["A\x00"]})

    assert response.status_code == 400
    assert "No service named" in response.json()["services"][0]


@pytest.mark.parametrize("path", [
    "/pages/ac%00me", "/pages/%E2%80%AEacme", "/pages/acme/incidents/%00",
    "/pages/acme/incidents/99999999999999999999999999", "/pages/acme/services/-1",
    "/pages/" + "a" * 300,
])
def test_odd_paths_not_found(api: RunstatusClient, page: Page, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/pages", '{"subdomain": "lone", "title": "A\\ud800"}', "title"),
    ("/pages/acme", '{"ok_text": "\\udfff"}', "ok_text"),
    ("/pages/acme/services", '{"name": "API \\ud83d"}', "name"),
    ("/pages/acme/incidents", '{"title": "Errors", "status_text": "\\ud800", '
     '"state": "major_outage", "status": "investigating"}', "status_text"),
    ("/pages/acme/incidents", '{"title": "Errors", "status_text": "Some fail.", '
     '"state": "major_outage", "status": "investigating", "services": ["\\ud800"]}',
     "services"),
    ("/pages/acme/maintenances", '{"title": "Upgrade", "description": "\\udc00", '
     '"start_date": "2030-01-01T02:00:00Z", "end_date": "2030-01-01T03:00:00Z"}',
     "description"),
])
def test_lone_surrogate_rejected(api: RunstatusClient, page: Page, path: str, body: str,
                                 field: str) -> None:
    """JSON escapes can encode half of a UTF-16 pair, which no UTF-8 column can store."""
    method = api.patch if path == "/pages/acme" else api.post
    audit_before = AuditEntry.objects.count()

    response = method(path, body.encode())

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "unpaired surrogate" in response.json()[field][0]
    assert AuditEntry.objects.count() == audit_before
    assert Page.objects.get(slug="acme").default_status_message != "\udfff"
    assert not Page.objects.filter(slug="lone").exists()
    assert not Service.objects.exists()
    assert not Incident.objects.exists()
    assert not page.maintenances.exists()


@pytest.mark.parametrize("zero", ["\u0660", "\u0966", "\uff10"])
def test_non_ascii_digits_not_an_id(api: RunstatusClient, page: Page,
                                    add_service: Callable[..., Service], zero: str) -> None:
    """Only ASCII digits name an object, so that each has one URL."""
    service = add_service("API")
    digits = "".join(chr(ord(zero) + int(digit)) for digit in str(service.pk))

    response = api.get(f"/pages/acme/services/{digits}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_markup_stored_verbatim_and_escaped(api: RunstatusClient, page: Page) -> None:
    title = '<script>alert("x")</script> & <b>bold</b>'

    response = api.post("/pages/acme/incidents", INCIDENT | {"title": title})

    assert response.status_code == 201
    # Served as JSON that browsers may not sniff as HTML.
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["title"] == title
    assert Incident.objects.get().title == title


def test_unicode_round_trips(api: RunstatusClient, page: Page) -> None:
    title = "Ausfall \u2013 数据库 🔥 مشكلة"

    created = api.post("/pages/acme/services", {"name": "Datenbank \u2013 数据库"})
    incident = api.post("/pages/acme/incidents",
                        INCIDENT | {"title": title, "services": ["datenbank \u2013 数据库"]})

    assert created.status_code == 201
    assert incident.status_code == 201
    assert incident.json()["title"] == title
    assert incident.json()["services"] == ["Datenbank \u2013 数据库"]


@pytest.mark.parametrize(("body", "fragment"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "a list, not a JSON object"),
    (b'"text"', "a string, not a JSON object"),
    (b"42", "a number, not a JSON object"),
    (b"null", "null, not a JSON object"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
])
def test_bad_json_rejected(api: RunstatusClient, page: Page, body: bytes,
                           fragment: str) -> None:
    response = api.post("/pages/acme/incidents", body)

    assert response.status_code == 400
    assert fragment in response.json()["detail"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize(("changes", "fields"), [
    ({"title": 5}, {"title"}),
    ({"title": None}, {"title"}),
    ({"state": ["major_outage"]}, {"state"}),
    ({"services": "API"}, {"services"}),
    ({"services": [1, 2]}, {"services"}),
    ({"services": [{"name": "API"}]}, {"services"}),
    ({"title": True, "status": 3, "state": {}}, {"title", "status", "state"}),
])
def test_wrong_types_rejected(api: RunstatusClient, page: Page, changes: dict[str, Any],
                              fields: set[str]) -> None:
    response = api.post("/pages/acme/incidents", INCIDENT | changes)

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Incident.objects.exists()


def test_body_too_large(api: RunstatusClient, page: Page, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = api.post("/pages/acme/incidents", INCIDENT | {"status_text": "x" * 20_000})

    assert response.status_code == 413
    assert "10,000 bytes" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_huge_authorization_header_rejected(api: RunstatusClient, page: Page) -> None:
    response = api.get("/pages/acme", authorization="Exoscale-HMAC-SHA256 " + "a" * 10_000
                       + ":" + "0" * 64)

    assert response.status_code == 403


def test_rejected_write_stores_nothing(api: RunstatusClient, page: Page,
                                       add_service: Callable[..., Service]) -> None:
    add_service("API")
    audit_before = AuditEntry.objects.count()

    response = api.post("/pages/acme/maintenances", {
        "title": "Upgrade", "start_date": "2026-01-01T02:00:00Z",
        "end_date": "2026-01-01T01:00:00Z", "services": ["API"], "status": "in-progress"})

    assert response.status_code == 400
    assert AuditEntry.objects.count() == audit_before
    assert not page.maintenances.exists()


def test_forged_date_header_cannot_reuse_signature(api: RunstatusClient, page: Page,
                                                   clock_seconds: Callable[[int], str]) -> None:
    """The date is part of what is signed: moving it invalidates the signature."""
    response = api.post("/pages/acme/services", {"name": "API"}, date=clock_seconds(0))
    assert response.status_code == 201
    header = response.request["HTTP_AUTHORIZATION"]

    replay = api.client.post(f"{PREFIX}/pages/acme/services",
                             data=json.dumps({"name": "API"}).encode(),
                             content_type="application/json",
                             headers={"Exoscale-Date": clock_seconds(10), "Authorization": header})

    assert replay.status_code == 403
    assert "signature does not match" in replay.json()["detail"]
    assert Service.objects.count() == 1


@pytest.fixture
def clock_seconds() -> Callable[[int], str]:
    """Return the Exoscale-Date value of now plus some seconds."""
    now = timezone.now()
    return lambda seconds: exoscale_date(now + dt.timedelta(seconds=seconds))
