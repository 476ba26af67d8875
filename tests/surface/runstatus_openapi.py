"""An OpenAPI 3.0 document of the Runstatus-compatible API, as Heliograph serves it.

The API has no document of its own (Runstatus published none), so this one is written from
the wire format in heliograph/runstatus/wire.py and the request fields its handlers read.
Paths are relative to the API's prefix, /runstatus by default.
"""

from __future__ import annotations

from typing import Any

STATES = ["operational", "degraded_performance", "partial_outage", "major_outage"]
INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved"]
MAINTENANCE_STATUSES = ["scheduled", "in-progress", "completed"]

TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$"}
URL = {"type": "string", "pattern": "^https?://"}
# A DNS label; the subdomain is set on create and cannot change.
SUBDOMAIN = {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"}
_BYTE = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Colours as "R,G,B,A"; pages are opaque, so alpha is always 1.
RGBA = {"type": "string", "pattern": rf"^{_BYTE},{_BYTE},{_BYTE},1$"}
# A colour in a request, as the server reads it: "R,G,B" with an optional alpha of 1, or
# "#rrggbb", with spaces allowed around the parts.
_INPUT_BYTE = r"\s*(?:[01]?\d?\d|2[0-4]\d|25[0-5])\s*"
COLOUR_INPUT = {
    "type": "string",
    "pattern": rf"^(?:{_INPUT_BYTE},{_INPUT_BYTE},{_INPUT_BYTE}(?:,\s*0*1(?:\.0*)?\s*)?"
               r"|\s*#[0-9a-fA-F]{6}\s*)$",
}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["count", "next", "previous", "results"],
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "next": _nullable(URL),
            "previous": _nullable(URL),
            "results": {"type": "array", "items": _ref(name)},
        },
    }


def _closed(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": required if required is not None else list(properties),
            "properties": properties, "additionalProperties": False}


SERVICE = _closed({"url": URL, "name": {"type": "string"}, "state": {"enum": STATES}})
INCIDENT_EVENT = _closed({"created": TIME, "text": {"type": "string"},
                          "status": {"enum": INCIDENT_STATUSES}, "state": {"enum": STATES}})
INCIDENT = _closed({
    "id": {"type": "integer"}, "url": URL, "title": {"type": "string"},
    "services": {"type": "array", "items": {"type": "string"}}, "state": {"enum": STATES},
    "status": {"enum": INCIDENT_STATUSES}, "status_text": {"type": "string"},
    "start_date": TIME, "end_date": _nullable(TIME),
    "events": {"type": "array", "items": _ref("IncidentEvent")}, "events_url": URL,
    "post_mortem": _nullable({"type": "string"}), "real_time": {"type": "boolean"},
})
MAINTENANCE_EVENT = _closed({"created": TIME, "text": {"type": "string"},
                             "status": {"enum": MAINTENANCE_STATUSES}})
MAINTENANCE = _closed({
    "id": {"type": "integer"}, "url": URL, "created": TIME, "title": {"type": "string"},
    "description": {"type": "string"}, "start_date": TIME, "end_date": TIME,
    "services": {"type": "array", "items": {"type": "string"}},
    "status": {"enum": MAINTENANCE_STATUSES},
    "events": {"type": "array", "items": _ref("MaintenanceEvent")}, "events_url": URL,
    "real_time": {"type": "boolean"},
})
PAGE_FIELDS: dict[str, Any] = {
    "id": {"type": "integer"}, "url": URL, "created": TIME, "subdomain": {"type": "string"},
    "title": {"type": "string"}, "ok_text": {"type": "string"},
    "time_zone": {"type": "string"}, "domain": _nullable({"type": "string"}),
    "dark_theme": {"type": "boolean"}, "support_email": {"type": "string"},
    "twitter_username": {"type": "string"}, "logo": _nullable(URL),
    "header_background": RGBA, "gradient_start": RGBA, "gradient_end": RGBA,
    "title_color": RGBA, "state": {"enum": STATES}, "public_url": URL,
    "services_url": URL, "incidents_url": URL, "maintenances_url": URL,
}
PAGE = _closed(PAGE_FIELDS)
PAGE_DETAIL = _closed({
    **PAGE_FIELDS,
    "services": {"type": "array", "items": _ref("Service")},
    "incidents": {"type": "array", "items": _ref("Incident")},
    "maintenances": {"type": "array", "items": _ref("Maintenance")},
})

PAGE_INPUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "ok_text": {"type": "string", "minLength": 1, "maxLength": 300},
        "time_zone": {"type": "string"}, "support_email": {"type": "string"},
        "twitter_username": {"type": "string"}, "domain": _nullable({"type": "string"}),
        "dark_theme": {"type": "boolean"}, "header_background": COLOUR_INPUT,
        "title_color": COLOUR_INPUT,
    },
}
SERVICE_INPUT = {"type": "object", "required": ["name"],
                 "properties": {"name": {"type": "string", "minLength": 1}}}
INCIDENT_INPUT = {
    "type": "object", "required": ["title", "status_text", "state", "status"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "status_text": {"type": "string", "minLength": 1},
        "state": {"enum": STATES}, "status": {"enum": INCIDENT_STATUSES},
        "services": {"type": "array", "items": {"type": "string"}},
    },
}
INCIDENT_PATCH = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "services": {"type": "array", "items": {"type": "string"}},
        "post_mortem": _nullable({"type": "string"}),
    },
}
INCIDENT_EVENT_INPUT = {
    "type": "object", "required": ["text"],
    "properties": {"text": {"type": "string", "minLength": 1}, "state": {"enum": STATES},
                   "status": {"enum": INCIDENT_STATUSES}},
}
MAINTENANCE_INPUT = {
    "type": "object", "required": ["title", "start_date", "end_date"],
    "properties": {
        "title": {"type": "string", "minLength": 1}, "description": {"type": "string"},
        "start_date": {"type": "string", "format": "date-time"},
        "end_date": {"type": "string", "format": "date-time"},
        "services": {"type": "array", "items": {"type": "string"}},
        "status": {"enum": MAINTENANCE_STATUSES},
    },
}
MAINTENANCE_PATCH = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1}, "description": {"type": "string"},
        "start_date": {"type": "string", "format": "date-time"},
        "end_date": {"type": "string", "format": "date-time"},
        "services": {"type": "array", "items": {"type": "string"}},
    },
}
MAINTENANCE_EVENT_INPUT = {
    "type": "object", "required": ["text"],
    "properties": {"text": {"type": "string", "minLength": 1},
                   "status": {"enum": MAINTENANCE_STATUSES}},
}

DETAIL = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
FIELD_ERRORS = {"type": "object", "minProperties": 1,
                "additionalProperties": {"type": "array", "items": {"type": "string"}}}
ERRORS: dict[str, Any] = {
    "400": {"description": "Invalid request: `{detail}` or `{field: [messages]}`.",
            "content": {"application/json": {"schema": {"anyOf": [DETAIL, FIELD_ERRORS]}}}},
    "403": {"description": "Bad signature, stale date, replay, or a page the key may not "
                           "manage.",
            "content": {"application/json": {"schema": DETAIL}}},
    "404": {"description": "Unknown page or object.",
            "content": {"application/json": {"schema": DETAIL}}},
    "413": {"description": "Request body too large.",
            "content": {"application/json": {"schema": DETAIL}}},
}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any], *, required: bool) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _op(operation_id: str, responses: dict[str, Any], body: dict[str, Any] | None = None,
        *, paged: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": operation_id,
                                 "responses": {**responses, **ERRORS}}
    if body is not None:
        # An empty body is an empty object, which a PATCH may send to change nothing.
        operation["requestBody"] = _body(body, required=bool(body.get("required")))
    if paged:
        operation["parameters"] = [
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "page_size", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
        ]
    return operation


def _param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


SLUG = _param("page", {"type": "string", "pattern": "^[a-z0-9-]{1,63}$"})


def _id(name: str) -> dict[str, Any]:
    return _param(name, {"type": "integer", "minimum": 1})


NO_CONTENT = {"204": {"description": "Deleted."}}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Runstatus-compatible API of Heliograph", "version": "1"},
    "paths": {
        "/pages": {
            "get": _op("list_pages", {"200": _json(_list_of("Page"))}, paged=True),
            "post": _op("create_page", {"201": _json(_ref("PageDetail"), "Created.")},
                        {**PAGE_INPUT, "required": ["subdomain"],
                         "properties": {**PAGE_INPUT["properties"], "subdomain": SUBDOMAIN}}),
        },
        "/pages/{page}": {
            "parameters": [SLUG],
            "get": _op("get_page", {"200": _json(_ref("PageDetail"))}),
            "patch": _op("update_page", {"200": _json(_ref("PageDetail"))}, PAGE_INPUT),
            "delete": _op("delete_page", NO_CONTENT),
        },
        "/pages/{page}/services": {
            "parameters": [SLUG],
            "get": _op("list_services", {"200": _json(_list_of("Service"))}, paged=True),
            "post": _op("add_service", {"201": _json(_ref("Service"), "Created.")},
                        SERVICE_INPUT),
        },
        "/pages/{page}/services/{service}": {
            "parameters": [SLUG, _id("service")],
            "get": _op("get_service", {"200": _json(_ref("Service"))}),
            "delete": _op("remove_service", NO_CONTENT),
        },
        "/pages/{page}/incidents": {
            "parameters": [SLUG],
            "get": _op("list_incidents", {"200": _json(_list_of("Incident"))}, paged=True),
            "post": _op("open_incident", {"201": _json(_ref("Incident"), "Created.")},
                        INCIDENT_INPUT),
        },
        "/pages/{page}/incidents/{incident}": {
            "parameters": [SLUG, _id("incident")],
            "get": _op("get_incident", {"200": _json(_ref("Incident"))}),
            "patch": _op("update_incident", {"200": _json(_ref("Incident"))}, INCIDENT_PATCH),
            "delete": _op("delete_incident", NO_CONTENT),
        },
        "/pages/{page}/incidents/{incident}/events": {
            "parameters": [SLUG, _id("incident")],
            "get": _op("list_incident_events", {"200": _json(_list_of("IncidentEvent"))},
                       paged=True),
            "post": _op("post_incident_event",
                        {"201": _json(_ref("IncidentEvent"), "Created.")},
                        INCIDENT_EVENT_INPUT),
        },
        "/pages/{page}/maintenances": {
            "parameters": [SLUG],
            "get": _op("list_maintenances", {"200": _json(_list_of("Maintenance"))},
                       paged=True),
            "post": _op("schedule_maintenance",
                        {"201": _json(_ref("Maintenance"), "Created.")}, MAINTENANCE_INPUT),
        },
        "/pages/{page}/maintenances/{maintenance}": {
            "parameters": [SLUG, _id("maintenance")],
            "get": _op("get_maintenance", {"200": _json(_ref("Maintenance"))}),
            "patch": _op("update_maintenance", {"200": _json(_ref("Maintenance"))},
                         MAINTENANCE_PATCH),
            "delete": _op("delete_maintenance", NO_CONTENT),
        },
        "/pages/{page}/maintenances/{maintenance}/events": {
            "parameters": [SLUG, _id("maintenance")],
            "get": _op("list_maintenance_events",
                       {"200": _json(_list_of("MaintenanceEvent"))}, paged=True),
            "post": _op("post_maintenance_event",
                        {"201": _json(_ref("MaintenanceEvent"), "Created.")},
                        MAINTENANCE_EVENT_INPUT),
        },
    },
    "components": {
        "schemas": {
            "Page": PAGE, "PageDetail": PAGE_DETAIL, "Service": SERVICE,
            "Incident": INCIDENT, "IncidentEvent": INCIDENT_EVENT,
            "Maintenance": MAINTENANCE, "MaintenanceEvent": MAINTENANCE_EVENT,
        },
        "securitySchemes": {
            "ExoscaleHmac": {"type": "apiKey", "in": "header", "name": "Authorization",
                             "description": "Exoscale-HMAC-SHA256 KEY:HEX, with Exoscale-Date."},
        },
    },
    "security": [{"ExoscaleHmac": []}],
}
