"""Every console route, found in the URL configuration, against every persona.

Outsiders get 404 for anything of acme, viewers change nothing, anonymous visitors are sent
to the login form, and no request gets a server error. A route whose parameters the sweep
cannot fill fails, so that a new route is never skipped in silence.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.surface.routes import Route, walk
from tests.surface.world import World, build_world, changed_tables, snapshot

pytestmark = pytest.mark.django_db

HOST = "127.0.0.1"

# Namespaces whose routes other sweeps and suites check, with where they are checked.
ELSEWHERE = {
    "api-v1": "test_api_sweep.py, generated from the OpenAPI document",
    "runstatus": "test_schemathesis.py and tests/runstatus (HMAC-signed requests)",
    "public": "test_hosts.py (public page routes, per host)",
    "public:by-path": "test_hosts.py (public page routes, per host)",
    "accounts": "tests/accounts: the signed-in user's own account, no page or object id",
    "": "tests/public (uploaded logos, public files)",
}

# Console routes that belong to the signed-in user, not to a page: their ids name the owner's
# own API token or Runstatus credential, which every other user must get a 404 for.
USER_OBJECTS = {"token_id", "credential_id"}

# The invitation link is a capability. Anyone with the link may read which page it is for, and
# only the invited address may accept it, so other signed-in users get 403 there.
CAPABILITY_ROUTES = {"console:invitation"}

MIN_CONSOLE_ROUTES = 50

ALL_ROUTES = walk()
CONSOLE_ROUTES = [route for route in ALL_ROUTES if route.namespace == "console"]


def test_every_namespace_is_swept() -> None:
    unknown = sorted({route.namespace for route in ALL_ROUTES
                      if route.namespace != "console" and route.namespace not in ELSEWHERE})

    assert unknown == [], (
        f"URL namespaces {unknown} are in no sweep: add them to the console sweep or name the "
        "tests that check their access in ELSEWHERE of tests/surface/test_console_sweep.py."
    )


def test_console_route_count_above_floor() -> None:
    assert len(CONSOLE_ROUTES) >= MIN_CONSOLE_ROUTES


def _client(world: World, persona: str) -> Client:
    client = Client(HTTP_HOST=HOST)
    user = world.users[persona]
    if user is not None:
        client.force_login(user)
    return client


def _values(route: Route, source: dict[str, Any]) -> dict[str, Any]:
    missing = [name for name in route.params if name not in source]
    if missing:
        pytest.fail(
            f"The sweep cannot fill {missing} of {route} ({route.route}): teach it by adding an "
            "object of that kind to _fill_page in tests/surface/world.py."
        )
    return {name: source[name] for name in route.params}


def _send(client: Client, method: str, url: str) -> Any:
    if method == "get":
        return client.get(url)
    return client.post(url, {"confirm_slug": "acme", "section": "general", "role": "owner",
                             "text": "Sweep", "title": "Sweep", "email": "x@example.com"})


# Texts that only acme's own objects contain.
ACME_TEXTS = ["Errors acme", "Upgrade acme", "reader@acme.example", "hooks.acme.example",
              "invited@acme.example"]


def _expected(route: Route, persona: str, method: str) -> set[int] | None:
    """Return the statuses `persona` may get for `method` on acme's values of `route`.

    None means any status below 500. A 405 is allowed wherever the route does not serve the
    method, and the sweep checks separately that it reveals nothing about the page.
    """
    capability = route.qualified in CAPABILITY_ROUTES
    user_scoped = "slug" not in route.params
    if persona == "anonymous":
        return {200} if capability and method == "get" else {302}
    if persona == "outsider":
        if capability:
            return {403}
        return {404} if route.params else None
    if persona == "viewer" and method == "post" and not capability:
        if USER_OBJECTS & set(route.params):
            return {404}
        return None if user_scoped else {403}
    return None


def _writes_allowed(route: Route, persona: str, method: str) -> bool:
    """Return whether `persona` may change stored data through this request."""
    if persona in ("owner", "editor"):
        return True
    # Any signed-in user may create a page or an API token of their own.
    return method == "post" and "slug" not in route.params and not route.params \
        and persona != "anonymous"


@pytest.mark.parametrize("route", CONSOLE_ROUTES, ids=str)
def test_console_route_by_persona(route: Route) -> None:
    world = build_world()
    acme_url = route.path(_values(route, world.acme.values))
    nowhere_url = route.path(_values(route, dict(world.acme.values, slug="no-such-page")))

    for method in ("get", "post"):
        for persona in ("anonymous", "outsider", "viewer"):
            before = snapshot()
            response = _send(_client(world, persona), method, acme_url)
            where = f"{persona} {method.upper()} {acme_url}"

            assert response.status_code < 500, where
            if response.status_code == 405:
                # The method is rejected before the page is looked up, so the response is the
                # same for a page that does not exist.
                unknown = _send(_client(world, persona), method, nowhere_url)
                assert unknown.status_code == 405, f"{where}: 405 only for an existing page"
            else:
                expected = _expected(route, persona, method)
                if expected is not None:
                    assert response.status_code in expected, where
                if response.status_code == 302 and persona == "anonymous":
                    assert response["Location"].startswith("/accounts/login/"), where
            if persona == "outsider" and route.qualified not in CAPABILITY_ROUTES:
                body = response.content.decode(errors="replace")
                leaked = [text for text in ACME_TEXTS if text in body]
                assert leaked == [], f"{where} shows {leaked}"
            if not _writes_allowed(route, persona, method):
                assert changed_tables(before, snapshot()) == [], where

    # The owner reaches every route with these values: a 404 would mean the sweep's values
    # are wrong, which would make the outsider's 404 prove nothing.
    response = _client(world, "owner").get(acme_url)
    assert response.status_code not in (404, 500), f"owner GET {acme_url}"

    # The owner of acme gets 404 for ids of the other page, even under acme's slug.
    mixed = dict(world.other.values, slug="acme")
    other_url = route.path(_values(route, mixed))
    if other_url != acme_url and route.qualified not in CAPABILITY_ROUTES:
        for method in ("get", "post"):
            before = snapshot()
            response = _send(_client(world, "owner"), method, other_url)
            assert response.status_code in (404, 405), f"owner {method.upper()} {other_url}"
            assert changed_tables(before, snapshot()) == [], f"owner {method} {other_url}"

    # Editors and owners may write; a form with unexpected values is an error page, not a 500.
    for persona in ("editor", "owner"):
        response = _send(_client(world, persona), "post", acme_url)
        assert response.status_code < 500, f"{persona} POST {acme_url}"
