"""The live endpoint of the front page: JSON parts, ETag and 304."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import time_machine

from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State, Status
from tests.public.dom import Node, parse


def test_live_returns_json_parts(
    page: Page, open_incident: Callable[..., Incident], get: Callable[..., Any]
) -> None:
    open_incident("Queue stuck", state=State.MAJOR_OUTAGE)

    response = get("/live")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["state"] == "major_outage"
    assert body["state_label"] == "Major outage"
    assert body["version"] == Page.objects.get().version
    assert body["favicon"] == f"/favicon.svg?v={body['version']}"
    fragment = parse(body["html"])
    assert fragment.one("section", cls="banner").one("a").text() == "Queue stuck"


def test_live_etag_header_matches_body(page: Page, get: Callable[..., Any]) -> None:
    response = get("/live")

    assert response["ETag"] == json.loads(response.content)["etag"]
    assert "no-cache" in response["Cache-Control"]


def test_live_same_etag_is_304(page: Page, get: Callable[..., Any]) -> None:
    etag = get("/live")["ETag"]

    response = get("/live", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_live_weak_or_listed_etag_is_304(page: Page, get: Callable[..., Any]) -> None:
    etag = get("/live")["ETag"]

    assert get("/live", HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert get("/live", HTTP_IF_NONE_MATCH=f'"old", {etag}').status_code == 304


def test_live_front_page_etag_matches(page: Page, get: Callable[..., Any],
                                      get_dom: Callable[..., Node]) -> None:
    embedded = get_dom("/").one("div", id="live").attrs["data-etag"]

    assert get("/live", HTTP_IF_NONE_MATCH=embedded).status_code == 304


def test_live_new_event_changes_etag(
    page: Page, actor: Actor, open_incident: Callable[..., Incident], get: Callable[..., Any]
) -> None:
    incident = open_incident("Queue stuck", text="Looking.")
    etag = get("/live")["ETag"]
    incidents.post_event(incident, text="Workers restarted.", state=State.DEGRADED_PERFORMANCE,
                         status=Status.MONITORING, actor=actor)

    response = get("/live", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "Workers restarted." in json.loads(response.content)["html"]


def test_live_etag_renews_with_time(page: Page, get: Callable[..., Any],
                                    clock: time_machine.Traveller) -> None:
    etag = get("/live")["ETag"]

    clock.shift(dt.timedelta(minutes=5))

    assert get("/live", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_live_unknown_etag_is_200(page: Page, get: Callable[..., Any]) -> None:
    assert get("/live", HTTP_IF_NONE_MATCH='"1-1-1"').status_code == 200


def test_live_by_path_links_under_prefix(
    page: Page, open_incident: Callable[..., Incident], get: Callable[..., Any]
) -> None:
    incident = open_incident()

    body = json.loads(get("/p/acme/live", "localhost").content)

    link = parse(body["html"]).one("section", cls="banner").one("a")
    assert link.attrs["href"] == f"/p/acme/incidents/{incident.pk}"
    assert body["favicon"].startswith("/p/acme/favicon.svg?v=")


def test_live_of_unknown_page_is_404(page: Page, get: Callable[..., Any]) -> None:
    assert get("/p/nope/live", "localhost").status_code == 404
