"""The OpenAPI document: served at /api/v1/openapi.json and describing every route of the API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver

from heliograph.api import urls as api_urls
from tests.api.support import all_routes, openapi, resolve

pytestmark = pytest.mark.django_db

ERROR_STATUSES = {400, 401, 403, 404, 409, 413, 422}


def url_conf_paths() -> set[str]:
    """Return the API's routes as OpenAPI paths, read from the URL configuration."""
    found = set()
    for entry in api_urls.urlpatterns:
        if not isinstance(entry, URLResolver):
            continue
        for pattern in entry.url_patterns:
            assert isinstance(pattern, URLPattern)
            route = str(pattern.pattern)
            if route in {"openapi.json", ""}:
                continue
            found.add("/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return found


def schema_of(document: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(document["components"]["schemas"][name])


def test_document_served_without_token():
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert body["info"]["title"] == "Heliograph management API"
    assert body["info"]["version"] == "1"


def test_document_served_equals_built_one():
    built = json.loads(json.dumps(openapi()))

    assert Client().get("/api/v1/openapi.json").json() == built


def test_document_lists_every_url_conf_route():
    documented = set(openapi()["paths"])

    assert documented == url_conf_paths()
    assert len(documented) == 20


def test_every_operation_has_summary_and_unique_id():
    ids = []
    for route in all_routes():
        assert route.operation.get("summary", "").strip(), route
        ids.append(route.operation["operationId"])

    assert len(ids) == len(set(ids))


def test_every_operation_documents_errors():
    document = openapi()
    for route in all_routes():
        responses = {int(status): value for status, value in route.operation["responses"].items()}

        assert set(responses) >= ERROR_STATUSES, route
        for status in ERROR_STATUSES:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert resolve(document, schema)["title"] == "ErrorOut", (route, status)


def test_every_operation_documents_success():
    expected = {"post": {200, 201}, "get": {200}, "patch": {200}, "delete": {204}}
    for route in all_routes():
        successes = {int(status) for status in route.operation["responses"]
                     if int(status) < 300}

        assert len(successes) == 1, route
        assert successes <= expected[route.method], route


def test_creating_operations_answer_201():
    created = {str(route) for route in all_routes() if route.success == 201}

    assert created == {
        "POST /pages", "POST /pages/{slug}/services", "POST /pages/{slug}/incidents",
        "POST /pages/{slug}/incidents/backfill",
        "POST /pages/{slug}/incidents/{incident_id}/events", "POST /pages/{slug}/maintenances",
        "POST /pages/{slug}/maintenances/{maintenance_id}/events",
        "POST /pages/{slug}/subscribers",
    }


def test_every_operation_needs_bearer_token():
    document = openapi()

    assert document["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http", "scheme": "bearer"}
    for route in all_routes():
        assert route.operation["security"] == [{"TokenAuth": []}], route


def test_path_ids_documented_as_64_bit():
    for route in all_routes():
        for parameter in route.operation.get("parameters", []):
            if parameter["name"].endswith("_id"):
                assert parameter["schema"]["type"] == "integer", route
                assert parameter["schema"]["minimum"] == 1
                assert parameter["schema"]["maximum"] == 2**63 - 1


def test_error_shape_documented():
    error = schema_of(openapi(), "ErrorOut")

    assert set(error["properties"]) == {"code", "message", "field"}
    assert set(error["required"]) == {"code", "message"}


def test_status_shape_documented():
    document = openapi()
    status = schema_of(document, "StatusOut")

    assert {"banner", "services", "incidents", "maintenances"} <= set(status["required"])
    assert {"message", "state"} <= set(schema_of(document, "BannerOut")["required"])
    assert {"id", "name", "state"} <= set(schema_of(document, "ServiceStateOut")["required"])
    assert {"id", "title", "state", "status"} <= set(
        schema_of(document, "OpenIncidentOut")["required"])
    assert {"id", "title", "status"} <= set(
        schema_of(document, "StatusMaintenanceOut")["required"])


def test_outages_shape_documented():
    document = openapi()

    assert {"time_zone", "start", "end", "services"} <= set(
        schema_of(document, "OutagesOut")["required"])
    assert {"id", "name", "days"} <= set(schema_of(document, "ServiceOutagesOut")["required"])
    day = schema_of(document, "DayOut")
    assert set(day["required"]) == {"date", "minutes", "degraded_performance", "partial_outage",
                                    "major_outage", "uptime", "no_data"}
    assert day["properties"]["minutes"]["type"] == "integer"


def test_request_bodies_documented():
    document = openapi()

    backfill = schema_of(document, "IncidentBackfill")
    assert set(backfill["properties"]) == {"title", "services", "events"}
    event = schema_of(document, "BackfillEvent")
    assert set(event["required"]) == {"at", "status", "text"}
    maintenance = schema_of(document, "MaintenanceCreate")
    assert {"title", "description", "starts_at", "ends_at", "services"} <= set(
        maintenance["properties"])
    assert maintenance["properties"]["starts_at"]["format"] == "date-time"
    assert maintenance["additionalProperties"] is False


def test_null_documented_only_where_accepted():
    """Keys that reject null are typed without it; custom_domain accepts null to remove it."""
    document = openapi()
    page_update = schema_of(document, "PageUpdate")["properties"]

    assert page_update["title"]["type"] == "string"
    assert "default" not in page_update["title"]
    assert {"type": "null"} in page_update["custom_domain"]["anyOf"]
    service_update = schema_of(document, "ServiceUpdate")["properties"]
    assert service_update["position"]["type"] == "integer"
    assert {"type": "null"} in service_update["group"]["anyOf"]


def test_slug_pattern_documented():
    slug = schema_of(openapi(), "PageCreate")["properties"]["slug"]

    assert re.fullmatch(slug["pattern"].strip("^$"), "acme-2")
    assert not re.fullmatch(slug["pattern"].strip("^$"), "-acme")
