"""Every operation of the API v1's OpenAPI document, against every persona.

Anonymous requests get 401, the outsider's token gets 404 for anything of acme, the viewer
changes nothing, and the owner's valid request succeeds with the documented status, which
shows that the sweep's values name real objects. A path parameter the sweep cannot fill fails
the test, so that a new operation is never skipped in silence.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from heliograph.api.models import ApiToken
from heliograph.domain.models import Page
from tests.api.support import BODIES, Route, all_routes, key
from tests.surface.routes import walk
from tests.surface.world import World, build_world, changed_tables, snapshot

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1"
MIN_API_OPERATIONS = 30
OPERATIONS = all_routes()


def test_operation_count_above_floor() -> None:
    assert len(OPERATIONS) >= MIN_API_OPERATIONS


def test_url_configuration_matches_document() -> None:
    """Every API route of the URL configuration is an operation of the OpenAPI document."""
    documented = {route.template for route in OPERATIONS}
    served = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.route.removeprefix("api/v1"))
        for route in walk()
        if route.namespace == "api-v1" and route.name not in ("openapi-json", "api-root")
    }

    assert served - documented == set(), "routes served but missing from the OpenAPI document"
    assert documented - served == set(), "operations documented but not served"


def _tokens(world: World) -> dict[str, str | None]:
    acme, other = world.acme.page, world.other.page
    tokens: dict[str, str | None] = {"anonymous": None}
    for persona in ("owner", "editor", "viewer"):
        user = world.users[persona]
        assert user is not None
        tokens[persona] = ApiToken.issue(user, [acme], can_write=True)[1]
    outsider = world.users["outsider"]
    assert outsider is not None
    tokens["outsider"] = ApiToken.issue(outsider, [other], can_write=True)[1]
    return tokens


def _url(route: Route, values: dict[str, Any]) -> str:
    missing = [name for name in re.findall(r"\{(\w+)\}", route.template) if name not in values]
    if missing:
        pytest.fail(
            f"The sweep cannot fill {missing} of {route}: teach it by adding an object of that "
            "kind to _fill_page in tests/surface/world.py."
        )
    return PREFIX + route.url(**values)


def _send(route: Route, url: str, token: str | None, *, slug: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = Client(HTTP_HOST="127.0.0.1")
    if route.method == "get":
        return client.get(url, headers=headers)
    body = BODIES.get(key(route)) if route.has_body else None
    if body is not None and slug and "slug" in body:
        body = dict(body, slug=slug)
    if route.has_body and body is None:
        pytest.fail(f"The sweep has no valid body for {route}: add one to BODIES in "
                    "tests/api/support.py.")
    return getattr(client, route.method)(url, data=json.dumps(body) if body else None,
                                         content_type="application/json", headers=headers)


def _is_page_route(route: Route) -> bool:
    return "{slug}" in route.template


@pytest.mark.parametrize("route", OPERATIONS, ids=str)
def test_operation_by_persona(route: Route) -> None:
    world = build_world()
    tokens = _tokens(world)
    acme_url = _url(route, world.acme.values)

    before = snapshot()
    response = _send(route, acme_url, tokens["anonymous"])
    assert response.status_code == 401, f"anonymous {route}"
    assert changed_tables(before, snapshot()) == [], f"anonymous {route}"

    response = _send(route, acme_url, tokens["outsider"], slug="outsiders-own")
    body = response.content.decode()
    assert "Errors acme" not in body, f"outsider {route}"
    assert "reader@acme.example" not in body, f"outsider {route}"
    if _is_page_route(route):
        assert response.status_code == 404, f"outsider {route}"
        assert response.json()["code"] == "not_found", f"outsider {route}"
        assert changed_tables(before, snapshot()) == [], f"outsider {route}"
    elif route.method == "get":
        assert response.status_code == 200, f"outsider {route}"
        assert "acme" not in [item["slug"] for item in response.json()["items"]]
    else:
        # Any user may create a page of their own.
        assert response.status_code == route.success, f"outsider {route}"
        assert Page.objects.get(slug=response.json()["slug"]).memberships.get().user == \
            world.users["outsider"]

    before = snapshot()
    response = _send(route, acme_url, tokens["viewer"], slug="viewers-own")
    if _is_page_route(route):
        if route.writes:
            assert response.status_code == 403, f"viewer {route}"
            assert changed_tables(before, snapshot()) == [], f"viewer {route}"
        else:
            assert response.status_code in (200, 403), f"viewer {route}"

    # The owner of acme gets 404 for ids of the other page under acme's slug.
    other_url = _url(route, dict(world.other.values, slug="acme"))
    if other_url != acme_url:
        before = snapshot()
        response = _send(route, other_url, tokens["owner"])
        assert response.status_code == 404, f"owner {route} with the other page's ids"
        assert changed_tables(before, snapshot()) == [], f"owner {route} with other ids"

    # A valid request of the owner succeeds: the sweep's values name real objects.
    response = _send(route, acme_url, tokens["owner"])
    assert response.status_code == route.success, (
        f"owner {route}: {response.status_code} {response.content[:300]!r}"
    )
