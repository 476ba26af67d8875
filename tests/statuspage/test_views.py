"""HTTP behaviour of the endpoints: caching, ETags, CORS, addresses, errors and isolation."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from heliograph.public.statuspage_views import CACHE_SECONDS, TIME_SLOT_SECONDS
from tests.statuspage.conftest import API, ENDPOINTS, HOST, NOW, BusyPage

Get = Callable[..., Any]


@pytest.fixture
def get(client: Client) -> Get:
    def request(path: str, host: str = HOST, **headers: Any) -> Any:
        return client.get(path, HTTP_HOST=host, **headers)

    return request


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_headers(endpoint: str, busy: BusyPage, get: Get) -> None:
    response = get(API + endpoint)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Expose-Headers"] == "ETag"
    assert response["Cache-Control"] == f"public, max-age={CACHE_SECONDS}"
    assert "Accept-Encoding" in response["Vary"]
    assert response["ETag"].startswith(f'W/"sp-{busy.page.pk}-')


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_not_modified_when_etag_matches(endpoint: str, busy: BusyPage, get: Get) -> None:
    etag = get(API + endpoint)["ETag"]

    again = get(API + endpoint, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Access-Control-Allow-Origin"] == "*"
    assert again["Cache-Control"] == f"public, max-age={CACHE_SECONDS}"


def test_weak_and_listed_etags_match(busy: BusyPage, get: Get) -> None:
    etag = get(API + "status.json")["ETag"]
    opaque = etag.removeprefix("W/")

    weak = get(API + "status.json", HTTP_IF_NONE_MATCH=f'"other", {etag}')
    strong = get(API + "status.json", HTTP_IF_NONE_MATCH=f'"other", {opaque}')
    star = get(API + "status.json", HTTP_IF_NONE_MATCH="*")
    stale = get(API + "status.json", HTTP_IF_NONE_MATCH='"sp-0-0"')

    assert etag.startswith('W/"')
    assert weak.status_code == 304
    assert strong.status_code == 304
    assert star.status_code == 304
    assert stale.status_code == 200


def test_change_gives_new_etag(busy: BusyPage, actor: Actor, get: Get) -> None:
    first = get(API + "summary.json")

    incidents.close_incident(busy.open_incident, actor=actor)
    second = get(API + "summary.json", HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert "API errors" not in [item["name"] for item in json.loads(second.content)["incidents"]]


def test_time_changes_etag_of_timed_documents(busy: BusyPage, get: Get, clock: Any) -> None:
    timed = {path: get(API + path)["ETag"]
             for path in ("summary.json", "scheduled-maintenances/upcoming.json")}
    fixed = get(API + "status.json")["ETag"]

    clock.shift(dt.timedelta(seconds=TIME_SLOT_SECONDS))

    for path, etag in timed.items():
        assert get(API + path, HTTP_IF_NONE_MATCH=etag).status_code == 200, path
    assert get(API + "status.json", HTTP_IF_NONE_MATCH=fixed).status_code == 304


def test_ended_window_leaves_upcoming(busy: BusyPage, get: Get, clock: Any) -> None:
    clock.shift(dt.timedelta(hours=27))

    upcoming = json.loads(get(API + "scheduled-maintenances/upcoming.json").content)

    assert [item["name"] for item in upcoming["scheduled_maintenances"]] == ["Data centre move"]


def test_gzip_when_accepted(busy: BusyPage, get: Get) -> None:
    plain = get(API + "incidents.json")
    packed = get(API + "incidents.json", HTTP_ACCEPT_ENCODING="gzip")

    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert packed["ETag"] == plain["ETag"]
    assert get(API + "incidents.json", HTTP_IF_NONE_MATCH=packed["ETag"]).status_code == 304


def test_not_modified_repeats_gzip_etag(busy: BusyPage, get: Get) -> None:
    """A 304 must carry the ETag and Vary that a 200 to the same request carries."""
    packed = get(API + "incidents.json", HTTP_ACCEPT_ENCODING="gzip")

    again = get(API + "incidents.json", HTTP_ACCEPT_ENCODING="gzip",
                HTTP_IF_NONE_MATCH=packed["ETag"])

    assert packed["Content-Encoding"] == "gzip"
    assert again.status_code == 304
    assert again["ETag"] == packed["ETag"]
    assert "Accept-Encoding" in again["Vary"]


def test_preflight(page: Page, client: Client) -> None:
    response = client.options(API + "summary.json", HTTP_HOST=HOST,
                              HTTP_ORIGIN="https://example.com",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match")

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "If-None-Match"


def test_post_not_allowed(page: Page, client: Client) -> None:
    response = client.post(API + "summary.json", HTTP_HOST=HOST)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_head(busy: BusyPage, client: Client) -> None:
    response = client.head(API + "summary.json", HTTP_HOST=HOST)

    assert response.status_code == 200
    assert response.content == b""
    assert response["ETag"]


# --- Addresses -----------------------------------------------------------------------------


def test_same_document_at_every_address(busy: BusyPage, get: Get, settings: Any) -> None:
    settings.HELIOGRAPH_DEFAULT_PAGE = "acme"

    at_host = get(API + "summary.json").content
    by_path = get(f"/p/acme{API}summary.json", host="localhost").content
    by_default = get(API + "summary.json", host="127.0.0.1").content

    assert json.loads(at_host) == json.loads(by_path) == json.loads(by_default)


@pytest.mark.parametrize(("path", "host"), [
    (f"/p/nobody{API}summary.json", "localhost"),
    (f"{API}summary.json", "localhost"),
    (f"/p/acme{API}summary.json", HOST),
])
def test_not_found_as_json(page: Page, get: Get, path: str, host: str) -> None:
    response = get(path, host=host)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert json.loads(response.content)["error"]["code"] == "not_found"
    assert "/p/<slug>/api/v2/summary.json" in json.loads(response.content)["error"]["message"]


def test_unknown_host_not_found(page: Page, get: Get) -> None:
    """The host middleware responds to unknown hosts with its HTML page, before any view."""
    response = get(API + "summary.json", host="nobody.localhost")

    assert response.status_code == 404
    assert b"Acme" not in response.content


def test_private_page_not_found(busy: BusyPage, actor: Actor, get: Get) -> None:
    pages.update_page(busy.page, {"is_private": True}, actor=actor)

    for endpoint in ENDPOINTS:
        response = get(API + endpoint)
        assert response.status_code == 404, endpoint
        assert b"API errors" not in response.content


# --- Isolation -----------------------------------------------------------------------------


@pytest.fixture
def other_page(make_user: Callable[..., Any]) -> Page:
    """A second page with its own service, incident and a title that must not leak."""
    owner = make_user("other@example.com")
    other_actor = Actor.of_user(owner)
    other = pages.create_page("other", title="Other Co", owner=owner, actor=other_actor)
    secret = pages.add_service(other, name="Secret vault", actor=other_actor)
    incidents.open_incident(other, title="Vault breach drill", text="Other text.",
                            state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                            services=[secret], at=NOW - dt.timedelta(minutes=5),
                            actor=other_actor)
    return other


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_page_never_shows_other_page(endpoint: str, busy: BusyPage, other_page: Page,
                                     get: Get) -> None:
    ours = get(API + endpoint).content.decode()
    theirs = get(API + endpoint, host="other.localhost").content.decode()

    for leaked in ("Other Co", "Secret vault", "Vault breach drill", f"page-{other_page.pk}"):
        assert leaked not in ours, leaked
    for leaked in ("Acme", "API errors", "Queue upgrade", f"page-{busy.page.pk}"):
        assert leaked not in theirs, leaked


def test_other_page_status_is_its_own(busy: BusyPage, other_page: Page, get: Get) -> None:
    theirs = json.loads(get(API + "status.json", host="other.localhost").content)

    assert theirs["status"] == {"indicator": "critical", "description": "Major System Outage"}
    assert theirs["page"]["url"] == "http://other.localhost:8000"


def test_deleted_incident_disappears(busy: BusyPage, actor: Actor, get: Get) -> None:
    incidents.delete_incident(busy.partial_fix_incident, actor=actor)

    for endpoint in ENDPOINTS:
        content = get(API + endpoint).content.decode()
        assert "Login failures" not in content, endpoint
        assert f"incident-{busy.partial_fix_incident.pk}\"" not in content, endpoint
