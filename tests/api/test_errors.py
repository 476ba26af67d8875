"""Bad input on every route: a JSON error with the right status that names the field, never a
500, and nothing stored changes.

The per-key checks walk the request schemas of the OpenAPI document, so a key added to a body
is checked without listing it here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from heliograph.domain.models import Page, Service
from tests.api.support import (
    BODIES,
    Objects,
    Route,
    all_routes,
    assert_error,
    call,
    fill,
    key,
    openapi,
    page_record,
    request_schema,
    resolve,
)

pytestmark = pytest.mark.django_db

BODY_ROUTES = [route for route in all_routes() if route.has_body]


@pytest.fixture
def acme(page: Page, owner: Any) -> Objects:
    return fill(page, owner)


def properties(route: Route) -> dict[str, dict[str, Any]]:
    """Return the body keys of a route with their schemas, nullable unions reduced to the type."""
    document = openapi()
    found = {}
    for name, schema in request_schema(route)["properties"].items():
        variants = [v for v in schema.get("anyOf", [schema]) if v.get("type") != "null"]
        found[name] = resolve(document, variants[0])
    return found


def wrong_type(schema: dict[str, Any]) -> Any:
    """Return a JSON value of another type than the schema's."""
    kind = schema.get("type", "string")
    return {"string": 12345, "integer": "seven", "boolean": "maybe", "array": "many",
            "number": "many"}[kind]


def send(client: Any, route: Route, acme: Objects, body: Any) -> Any:
    return call(client, route, acme.url(route), body)


# Keys of every body


def test_every_body_route_checked():
    assert {key(route) for route in BODY_ROUTES} == {
        name for name in BODIES if name.split()[0] in {"POST", "PATCH"}
    }


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_wrong_type_names_key(route, api, acme, page):
    before = page_record(page)

    for name, schema in properties(route).items():
        response = send(api, route, acme, {**BODIES[key(route)], name: wrong_type(schema)})

        body = assert_error(response, 422, field=name)
        assert body["message"].startswith(f"{name}: "), body
    assert page_record(page) == before


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_unknown_enum_value_names_key(route, api, acme, page):
    before = page_record(page)
    enums = {name: schema for name, schema in properties(route).items() if "enum" in schema}

    for name, schema in enums.items():
        response = send(api, route, acme, {**BODIES[key(route)], name: "sideways"})

        body = assert_error(response, 422, field=name)
        for allowed in schema["enum"]:
            assert allowed in body["message"]
    assert page_record(page) == before


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_nul_character_names_key(route, api, acme, page):
    """A NUL byte in any text is rejected before it reaches the database (PostgreSQL refuses
    NUL in text columns)."""
    before = page_record(page)
    texts = {name for name, schema in properties(route).items() if schema.get("type") == "string"}

    for name in texts:
        response = send(api, route, acme, {**BODIES[key(route)], name: "bad\x00value"})

        assert 400 <= response.status_code < 500, (name, response.content)
        assert_error(response, response.status_code, field=name)
    assert page_record(page) == before


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_unknown_key_is_named(route, api, acme, page):
    before = page_record(page)

    response = send(api, route, acme, {**BODIES[key(route)], "colour": "red"})

    body = assert_error(response, 422, "invalid", "colour")
    assert "remove it" in body["message"]
    assert page_record(page) == before


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_naive_time_names_key(route, api, acme, page):
    before = page_record(page)
    times = [name for name, schema in properties(route).items()
             if schema.get("format") == "date-time"]

    for name in times:
        response = send(api, route, acme, {**BODIES[key(route)], name: "2026-10-01T10:00:00"})

        body = assert_error(response, 422, "invalid", name)
        assert "2026-03-01T14:02:00+01:00" in body["message"]
    assert page_record(page) == before


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_number_for_time_is_rejected(route, api, acme, page):
    """A number is not read as a Unix timestamp."""
    times = [name for name, schema in properties(route).items()
             if schema.get("format") in {"date-time", "date"}]

    for name in times:
        response = send(api, route, acme, {**BODIES[key(route)], name: 1_790_000_000})

        assert_error(response, 422, "invalid", name)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_invalid_json_is_400(route, api, acme, page):
    before = page_record(page)

    for raw in ['{"title": "x"', "{'title': 'x'}", "\x00", "\xff\xfe"]:
        response = send(api, route, acme, raw)

        body = assert_error(response, 400, "invalid_json", None)
        assert "JSON" in body["message"]
    assert page_record(page) == before


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_body_not_object_is_422(route, api, acme):
    for raw in ["[]", '"text"', "42", "null"]:
        response = send(api, route, acme, raw)

        if raw == "null" and key(route).endswith("/close"):
            # A close request's body is optional, and JSON null means none.
            assert response.status_code == 200, response.content
            continue
        assert_error(response, 422, "invalid")


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_ten_megabyte_body_is_413(route, api, acme, page):
    before = page_record(page)
    huge = json.dumps({**BODIES[key(route)], "padding": "x" * 10_000_000})

    response = send(api, route, acme, huge)

    body = assert_error(response, 413, "body_too_large", None)
    assert "larger" in body["message"]
    assert page_record(page) == before


def test_form_body_is_400(api, acme):
    response = api.client.post("/api/v1/pages/acme/services", data="name=Search",
                               content_type="application/x-www-form-urlencoded",
                               headers=api.headers)

    assert_error(response, 400, "invalid_json", None)


# Values the domain rejects


@pytest.mark.parametrize("slug", [
    "Acme", "-acme", "acme-", "ac_me", "ac me", "a" * 64, "", "ünïcode", "acme.com", "new\nline",
])
def test_page_slug_not_dns_label(api, slug):
    response = api.post("/pages", {"slug": slug, "title": "New"})

    body = assert_error(response, 422, "invalid_slug", "slug")
    assert "lower-case letters, digits and hyphens" in body["message"]
    assert not Page.objects.filter(title="New").exists()


def test_page_slug_reserved(api):
    assert_error(api.post("/pages", {"slug": "api", "title": "New"}), 422, "reserved_slug", "slug")
    assert_error(api.patch("/pages/acme", {"slug": "www"}), 422, "reserved_slug", "slug")


def test_page_slug_change_not_dns_label(api, page):
    before = page_record(page)

    assert_error(api.patch("/pages/acme", {"slug": "Acme"}), 422, "invalid_slug", "slug")
    assert page_record(page) == before


@pytest.mark.parametrize("zone", [
    "Mars/Olympus_Mons", "europe/berlin", "CEST", "+02:00", "", "../../etc/passwd", "Europe",
])
def test_invalid_time_zone_name(api, page, zone):
    before = page_record(page)

    response = api.patch("/pages/acme", {"time_zone": zone})

    body = assert_error(response, 422, "invalid_time_zone", "time_zone")
    assert "Europe/Zurich" in body["message"]
    assert page_record(page) == before


def test_invalid_time_zone_on_create(api):
    response = api.post("/pages", {"slug": "fresh", "title": "Fresh", "time_zone": "Moon/Base"})

    assert_error(response, 422, "invalid_time_zone", "time_zone")
    assert not Page.objects.filter(slug="fresh").exists()


@pytest.mark.parametrize(("name", "clash"), [
    ("API", "API"),
    ("API", "api"),
    ("Zürich", "Zürich"),
    ("Þing", "Þing"),
    ("Ärzte", "Ärzte"),
    ("  API  ", "API"),
])
def test_duplicate_service_name_is_409(api, page, name, clash):
    assert api.post("/pages/acme/services", {"name": name}).status_code == 201
    before = page_record(page)

    response = api.post("/pages/acme/services", {"name": clash})

    body = assert_error(response, 409, field="name")
    assert body["code"] in {"duplicate_name", "conflict"}
    assert page_record(page) == before


def test_rename_to_taken_service_name(api, page, add_service):
    add_service("API")
    database = add_service("Database")
    before = page_record(page)

    response = api.patch(f"/pages/acme/services/{database.pk}", {"name": "api"})

    assert_error(response, 409, "duplicate_name", "name")
    assert page_record(page) == before


def test_duplicate_slug_is_409(api, outsider):
    response = api.post("/pages", {"slug": "other", "title": "Mine"})

    assert_error(response, 409, "slug_taken", "slug")
    assert Page.objects.get(slug="other").title == "Other"


@pytest.mark.parametrize(("field", "value", "code"), [
    ("header_background", "red", "invalid_colour"),
    ("header_text_color", "#12345", "invalid_colour"),
    ("custom_domain", "https://status.example.com/", "invalid_domain"),
    ("main_site_url", "javascript:alert(1)", "invalid_url"),
    ("support_email", "not-an-address", "invalid_email"),
    ("language", "xx", "invalid_language"),
    ("title", "Line\nbreak", "invalid_character"),
    ("title", "   ", "required"),
])
def test_page_setting_rejected(api, page, field, value, code):
    before = page_record(page)

    response = api.patch("/pages/acme", {field: value})

    assert_error(response, 422, code, field)
    assert page_record(page) == before


@pytest.mark.parametrize("field", ["title", "time_zone", "theme", "is_private", "slug"])
def test_page_setting_null_rejected(api, page, field):
    before = page_record(page)

    response = api.patch("/pages/acme", {field: None})

    body = assert_error(response, 422, "invalid", field)
    assert "must not be null" in body["message"]
    assert page_record(page) == before


@pytest.mark.parametrize(("value", "reason"), [
    ("1", "string"), (1.0, "float"), (True, "boolean"), (0, "zero"), (-3, "negative"),
    (2**63, "past 64 bits"), (10**30, "huge"),
])
def test_bad_service_id_in_body(api, page, value, reason):
    before = page_record(page)

    response = api.post("/pages/acme/incidents", {
        "title": "Down", "text": "Down.", "state": "major_outage", "status": "investigating",
        "services": [value],
    })

    assert_error(response, 422, "invalid", "services.0")
    assert page_record(page) == before


def test_unknown_service_id_in_body(api, page, outsider):
    foreign = Service.objects.create(page=Page.objects.get(slug="other"), name="Theirs",
                                     start_date="2026-01-01")
    before = page_record(page)

    for service_id in [2**63 - 1, foreign.pk]:
        response = api.post("/pages/acme/incidents", {
            "title": "Down", "text": "Down.", "state": "major_outage", "status": "investigating",
            "services": [service_id],
        })

        body = assert_error(response, 422, "unknown_service", "services")
        assert str(service_id) in body["message"]
    assert page_record(page) == before


@pytest.mark.parametrize(("segment", "status"), [
    ("0", 422), ("-1", 422), (str(2**63), 422), ("1" * 40, 422), ("abc", 422), ("1.5", 422),
    (str(2**63 - 1), 404),
])
def test_bad_id_in_path(api, acme, segment, status):
    for template in ["/pages/acme/services/{}", "/pages/acme/incidents/{}",
                     "/pages/acme/maintenances/{}"]:
        response = api.get(template.format(segment))

        if status == 404:
            assert_error(response, 404, "not_found", None)
        else:
            body = assert_error(response, 422, "invalid")
            assert body["field"] in {"service_id", "incident_id", "maintenance_id"}


@pytest.mark.parametrize("moment", [
    "0001-01-01T00:00:00+14:00", "1969-12-31T23:00:00Z", "9999-12-31T23:00:00-05:00",
    "9999-12-31T23:59:59Z",
])
def test_time_outside_years_rejected(api, page, moment):
    before = page_record(page)

    response = api.post("/pages/acme/maintenances", {
        "title": "Far away", "starts_at": moment, "ends_at": "2026-12-01T00:00:00Z",
    })

    body = assert_error(response, 422, "invalid", "starts_at")
    assert "1971" in body["message"]
    assert page_record(page) == before


def test_backfill_event_key_named_with_index(api, page):
    before = page_record(page)
    events = [
        {"at": "2026-10-01T01:00:00Z", "state": "major_outage", "status": "investigating",
         "text": "Down."},
        {"at": "2026-10-01T02:00:00", "status": "resolved", "text": "Up."},
    ]

    response = api.post("/pages/acme/incidents/backfill",
                        {"title": "Night", "services": [], "events": events})

    assert_error(response, 422, "invalid", "events.1.at")
    assert page_record(page) == before


def test_overlong_text_rejected(api, page):
    before = page_record(page)

    response = api.post("/pages/acme/incidents", {
        "title": "Down", "text": "x" * 20_001, "state": "major_outage", "status": "investigating",
    })

    body = assert_error(response, 422, "invalid", "text")
    assert "20000" in body["message"]
    assert page_record(page) == before


@pytest.mark.parametrize("character", ["\x07", "\x1b", "\x7f", "\u0085"])
def test_control_character_in_title(api, page, character):
    before = page_record(page)

    response = api.post("/pages/acme/incidents", {
        "title": f"Do{character}wn", "text": "Down.", "state": "major_outage",
        "status": "investigating",
    })

    body = assert_error(response, 422, "invalid_character", "title")
    assert f"U+{ord(character):04X}" in body["message"]
    assert page_record(page) == before


# Query strings


@pytest.mark.parametrize(("query", "field"), [
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=ten", "limit"),
    ("status=sideways", "status"), ("cursor=" + "A" * 501, "cursor"),
])
def test_bad_list_query(api, query, field):
    for path in ["/pages/acme/incidents", "/pages/acme/maintenances"]:
        response = api.get(f"{path}?{query}")

        assert_error(response, 422, field=field)


@pytest.mark.parametrize(("query", "code", "field"), [
    ("start=2026-02-30", "invalid", "start"),
    ("start=yesterday", "invalid", "start"),
    ("end=2026-13-01", "invalid", "end"),
    ("start=2026-03-10&end=2026-03-09", "invalid_range", "end"),
    ("start=2024-01-01&end=2026-01-01", "range_too_long", "start"),
    ("start=0001-01-01&end=0001-01-02", "invalid_range", "start"),
    ("start=9999-12-30&end=9999-12-31", "invalid_range", "start"),
])
def test_bad_outage_query(api, query, code, field):
    assert_error(api.get(f"/pages/acme/outages?{query}"), 422, code, field)


def test_audit_action_filter_rejects_odd_text(api):
    assert_error(api.get("/pages/acme/audit?action=%00"), 422, "invalid", "action")


# Paths and methods outside the routes


@pytest.mark.parametrize("path", [
    "/api/v1/", "/api/v1/nothing", "/api/v1/pages/acme/", "/api/v1/pages/acme/widgets",
    "/api/v1/pages/acme/incidents/1/events/2/extra",
])
def test_unknown_path_is_json_404(api, path):
    response = api.get(path)

    body = assert_error(response, 404, "not_found", None)
    assert "openapi.json" in body["message"]


def test_slug_with_nul_is_404(api):
    assert_error(api.get("/pages/ac%00me/status"), 404, "not_found", None)


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("put", "/pages/acme", {"GET", "PATCH", "DELETE"}),
    ("delete", "/pages", {"GET", "POST"}),
    ("get", "/pages/acme/incidents/backfill", {"POST"}),
    ("post", "/pages/acme/status", {"GET"}),
])
def test_wrong_method_is_json_405(api, method, path, allowed):
    response = getattr(api.client, method)(f"/api/v1{path}", headers=api.headers)

    body = assert_error(response, 405, "method_not_allowed", None)
    assert set(response["Allow"].split(", ")) == allowed
    assert method.upper() in body["message"]


# Failures of the database


@contextmanager
def broken_inserts(table: str) -> Iterator[None]:
    """Make every insert into `table` fail with a database error that is not an integrity
    error, as a lost connection or a full disk would."""
    if connection.vendor == "postgresql":
        create = [
            "CREATE FUNCTION broken_insert() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'insert failed in test trigger'; END $$",
            f"CREATE TRIGGER broken_insert BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION broken_insert()",
        ]
        drop = [f"DROP TRIGGER broken_insert ON {table}", "DROP FUNCTION broken_insert()"]
    else:
        create = [f"CREATE TRIGGER broken_insert BEFORE INSERT ON {table} "
                  "BEGIN SELECT no_such_function(); END"]
        drop = ["DROP TRIGGER broken_insert"]
    with connection.cursor() as cursor:
        for statement in create:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)


def test_database_failure_is_json_500(api, page, caplog):
    """The event insert fails after the incident row was written: the whole change is undone."""
    before = page_record(page)

    with broken_inserts("domain_incidentevent"):
        response = api.post("/pages/acme/incidents", {
            "title": "Down", "text": "Down.", "state": "major_outage",
            "status": "investigating",
        })

    body = assert_error(response, 500, "server_error", None)
    assert "logged" in body["message"]
    assert page_record(page) == before
    assert "unhandled error on POST /api/v1/pages/acme/incidents" in caplog.text
