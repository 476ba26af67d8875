"""Schemathesis, with every check, against the API v1 and the Runstatus API of a running
server.

The OpenAPI document comes from the server itself, requests carry an owner's write token, and
path parameters name a page of its own ("fuzz") with real objects, so that most requests reach
the handlers instead of stopping at 404. The server's database is a throwaway one (see
tests/concurrency/server.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
)

from tests.api.support import openapi
from tests.concurrency.server import Install
from tests.surface import runstatus_openapi

# Examples per operation: the whole file took 80 to 130 s on 2 shared cores. The examples are
# derandomized, but the examples of one run share a page, so what a request finds there
# depends on the requests before it. HELIOGRAPH_FUZZ_EXAMPLES=100 runs a longer search.
MAX_EXAMPLES = int(os.environ.get("HELIOGRAPH_FUZZ_EXAMPLES", "6"))


# Rules of the API that its JSON Schema does not state, so schemathesis generates values that
# they reject with 422. By error code: control characters in text, URLs, e-mail addresses,
# custom domains, slugs and Twitter names that are malformed, time zone names that are not IANA
# names, pagination cursors the server did not issue, date ranges that are too long or outside
# the supported years, and a field that the subscriber's kind does not take. Also a maintenance
# that ends no later than it starts, a backfill with fewer than two events, and service ids
# that the page does not have.
CODES_BEYOND_SCHEMA = frozenset({
    "invalid_character", "invalid_url", "invalid_email", "invalid_domain", "invalid_slug",
    "invalid_username", "invalid_time_zone", "invalid_cursor", "range_too_long",
    "invalid_range", "unexpected_field", "window_end_before_start", "backfill_too_short",
    "unknown_service",
})
# A field the schema marks optional because the subscriber's kind decides whether it is needed:
# an e-mail subscriber needs an address, a webhook subscriber a URL.
REQUIRED_BY_KIND = frozenset({"address", "url"})
# By message, for body validation errors (code "invalid"): times and dates outside the years
# 1971 to 9998, and integral floats such as 1.0, an integer in JSON Schema that the API's
# strict integers reject.
MESSAGES_BEYOND_SCHEMA = (
    "give a time between the years",
    "give a date between the years",
    "Input should be a valid integer",
)


def positive_data_acceptance_except_known_rules(ctx: Any, response: Any, case: Any) -> Any:
    """Run schemathesis's positive data check, except on a 422 for the rules above.

    NOTE: a wrong 422 with one of these codes or messages goes unnoticed here; tests/api
    checks each rule with its own cases.
    """
    if response.status_code == 422:
        body = response.json()
        if body.get("code") in CODES_BEYOND_SCHEMA:
            return None
        if body.get("code") == "required" and body.get("field") in REQUIRED_BY_KIND:
            return None
        messages = [error.get("message", "") for error in body.get("errors", [])]
        if body.get("code") == "invalid" and messages and all(
            any(rule in message for rule in MESSAGES_BEYOND_SCHEMA) for message in messages
        ):
            return None
    return positive_data_acceptance(ctx, response, case)


def all_checks() -> list[Any]:
    """Return every built-in response check of schemathesis, with the positive data check
    aware of the rules above."""
    load_all_checks()
    checks = [check for check in CHECKS.get_all()
              if not isinstance(check, type) and check is not positive_data_acceptance]
    return [*checks, positive_data_acceptance_except_known_rules]


def _fuzz_page(install: Install) -> dict[str, Any]:
    """Create page "fuzz" with a service, an open incident and a maintenance, once."""
    headers = {"Authorization": f"Bearer {install.seed['owner_token']}"}
    api = httpx.Client(base_url=f"{install.url}/api/v1", headers=headers, timeout=60)
    found = api.get("/pages/fuzz")
    if found.status_code == 404:
        assert api.post("/pages", json={"slug": "fuzz", "title": "Fuzz"}).status_code == 201
    service = api.post("/pages/fuzz/services", json={"name": "Fuzz service"})
    if service.status_code == 409:
        service = api.get("/pages/fuzz/services")
        service_id = service.json()["items"][0]["id"]
    else:
        service_id = service.json()["id"]
    incident = api.post("/pages/fuzz/incidents", json={
        "title": "Fuzzed", "text": "Looking.", "state": "major_outage",
        "status": "investigating"}).json()
    maintenance = api.post("/pages/fuzz/maintenances", json={
        "title": "Window", "starts_at": "2099-01-01T02:00:00Z",
        "ends_at": "2099-01-01T03:00:00Z"}).json()
    return {"slug": "fuzz", "service_id": service_id, "incident_id": incident["id"],
            "event_id": incident["events"][0]["id"] if incident.get("events") else 1,
            "maintenance_id": maintenance["id"]}


@pytest.fixture(scope="session")
def fuzz_page(live_install: Install) -> dict[str, Any]:
    return _fuzz_page(live_install)


# The document the server serves at /api/v1/openapi.json (tests/api/test_openapi.py checks
# that they are the same), loaded at import so that pytest collects one test per operation.
schema = schemathesis.openapi.from_dict(
    openapi(),
    config=SchemathesisConfig.from_dict({
        "parameters": {"path.slug": "fuzz"},
        # The API ignores query parameters it does not know.
        "generation": {"allow-extra-parameters": False},
    }),
)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_v1(case: Any, live_install: Install, fuzz_page: dict[str, Any]) -> None:
    case.call_and_validate(
        base_url=live_install.url,
        headers={"Authorization": f"Bearer {live_install.seed['owner_token']}"},
        checks=all_checks(),
    )


# The same kind of rules, in the messages of the Runstatus API's 400 responses (`{"<field>":
# [...]}` or `{"detail": "..."}`). Then the rules that depend on stored data: subdomains,
# custom domains and service names already taken or reserved, and services named that the
# page does not have. Then states the incident or maintenance has reached: the examples share
# one page, so an earlier example may have closed what a later one posts to. Runstatus reports
# those as a 400, not a 409. Also a maintenance that ends no later than it starts, a state and
# status that do not go together, and times outside the years 1971 to 9998.
RUNSTATUS_MESSAGES_BEYOND_SCHEMA = (
    "is already taken",
    "already exists",
    "contains the control character",
    "must not be blank",
    "must not be empty",
    "is not a known IANA time zone",
    "is not an e-mail address",
    "is not an http or https URL",
    "is not an X user name",
    "is not a valid domain name",
    "is an address of this service",
    "is used by another page",
    "is reserved",
    "no later than it starts",
    "is outside the years",
    "No service named",
    "takes no further events",
    "is already closed",
    "is already completed",
    "is already in progress",
    "cannot change",
    "cannot open as",
    "cannot be operational",
    "must be operational",
)


def runstatus_positive_data_acceptance(ctx: Any, response: Any, case: Any) -> Any:
    """Run schemathesis's positive data check, except on a 400 for the rules above."""
    if response.status_code == 400:
        body = response.json()
        messages = [message for value in body.values()
                    for message in (value if isinstance(value, list) else [value])]
        if messages and all(any(rule in message for rule in RUNSTATUS_MESSAGES_BEYOND_SCHEMA)
                            for message in messages):
            return None
    return positive_data_acceptance(ctx, response, case)


def runstatus_negative_data_rejection(ctx: Any, response: Any, case: Any) -> Any:
    """Run schemathesis's negative data check, except for a mutated `page` in the path.

    The configuration sends "fuzz" as every page, so a case whose only invalid part was its
    page is sent with a valid one, and the server rightly accepts it.
    """
    data = case.meta.phase.data if case.meta is not None else None
    if (getattr(data, "parameter", None) == "page"
            and case.path_parameters.get("page") == "fuzz"):
        return None
    return negative_data_rejection(ctx, response, case)


class ExoscaleSigner(requests.auth.AuthBase):
    """Sign requests as Runstatus clients do: HMAC-SHA256 of the full URL, the date and the
    body, keyed with the credential's secret."""

    def __init__(self) -> None:
        self.key = ""
        self.secret = ""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else bytes(body)  # type: ignore[arg-type]
        digest = hmac.new(self.secret.encode(), f"{request.url}{date}".encode() + raw,
                          hashlib.sha256).hexdigest()
        request.headers["Exoscale-Date"] = date
        request.headers["Authorization"] = f"Exoscale-HMAC-SHA256 {self.key}:{digest}"
        return request


signer = ExoscaleSigner()
runstatus_schema = schemathesis.openapi.from_dict(
    runstatus_openapi.DOCUMENT,
    config=SchemathesisConfig.from_dict({
        "parameters": {"path.page": "fuzz"},
        # Runstatus ignores query parameters it does not know, as its clients expect.
        "generation": {"allow-extra-parameters": False},
    }),
)
runstatus_schema.auth.set_from_requests(signer)


@runstatus_schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_runstatus(case: Any, live_install: Install, fuzz_page: dict[str, Any]) -> None:
    signer.key = live_install.seed["runstatus_key"]
    signer.secret = live_install.seed["runstatus_secret"]
    # The Runstatus API rejects a request without a signature with 403 {"detail"}, which its
    # clients expect, while schemathesis's missing_required_header check requires 401 for a missing
    # Authorization header; tests/runstatus/test_signing.py checks the 403s.
    replaced = (missing_required_header, positive_data_acceptance_except_known_rules,
                negative_data_rejection)
    checks = [check for check in all_checks() if check not in replaced]
    checks += [runstatus_positive_data_acceptance, runstatus_negative_data_rejection]
    case.call_and_validate(base_url=f"{live_install.url}/runstatus", checks=checks)
