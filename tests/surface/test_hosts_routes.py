"""Every public route of the URL configuration, asked for under each kind of host.

A page's own host serves it, and another page's host gets 404 for its ids. The private page is
404 under its subdomain, its custom domain and `/p/<slug>/`. Forwarded-host headers are
ignored, and a host outside ALLOWED_HOSTS gets 400. Raw request lines (absolute URIs, duplicate
Host headers) are in test_hosts_live.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.vocab import State, Status
from tests.surface.routes import Route, walk
from tests.surface.world import World, build_world

pytestmark = pytest.mark.django_db

PUBLIC_ROUTES = [route for route in walk() if route.namespace == "public"]
BY_PATH_ROUTES = [route for route in walk() if route.namespace == "public:by-path"]
MIN_PUBLIC_ROUTES = 20

ACME_TEXTS = ["Errors acme", "Upgrade acme"]
SECRET_TEXTS = ["Vault outage", "Secret Works"]


def test_public_route_count_above_floor() -> None:
    assert len(PUBLIC_ROUTES) >= MIN_PUBLIC_ROUTES
    assert len(BY_PATH_ROUTES) == len(PUBLIC_ROUTES)


def _world_with_secret() -> tuple[World, dict[str, Any]]:
    world = build_world()
    owner = world.users["outsider"]
    actor = Actor.of_user(owner)
    secret = pages.create_page("secret", title="Secret Works", owner=owner, actor=actor,
                               custom_domain="status.secret.example", is_private=True)
    incident = incidents.open_incident(secret, title="Vault outage", text="Down.",
                                       state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                       services=[], actor=actor)
    acme_owner = world.users["owner"]
    pages.update_page(world.acme.page, {"custom_domain": "status.acme.example"},
                      actor=Actor.of_user(acme_owner))
    values = dict(world.acme.values, incident_id=incident.pk, slug="secret",
                  token=world.acme.values["subscription_token"])
    return world, values


def _public_values(route: Route, source: dict[str, Any]) -> dict[str, Any]:
    values = dict(source, token=source["subscription_token"])
    missing = [name for name in route.params if name not in values]
    if missing:
        pytest.fail(f"The sweep cannot fill {missing} of {route} ({route.route}): teach it in "
                    "tests/surface/world.py.")
    return {name: values[name] for name in route.params}


def _get(host: str, url: str, **headers: str) -> Any:
    return Client(HTTP_HOST=host).get(url, headers=headers)


def _texts(response: Any, texts: list[str]) -> list[str]:
    body = response.content.decode(errors="replace")
    return [text for text in texts if text in body]


@pytest.mark.parametrize("route", PUBLIC_ROUTES, ids=str)
def test_public_route_by_host(route: Route, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["localhost", ".localhost", "127.0.0.1", ".example"]
    world, secret_values = _world_with_secret()
    acme_url = route.path(_public_values(route, world.acme.values))

    # acme's own hosts serve the route: the values name real objects.
    for host in ("acme.localhost", "ACME.localhost", "acme.localhost.", "acme.localhost:8000",
                 "status.acme.example"):
        response = _get(host, acme_url)
        assert response.status_code not in (404, 500), f"{host}{acme_url}"
        assert _texts(response, SECRET_TEXTS) == [], f"{host}{acme_url}"

    # The other page's host does not serve acme's objects.
    response = _get("other.localhost", acme_url)
    assert response.status_code < 500
    if route.params:
        assert response.status_code == 404, f"other.localhost{acme_url}"
    assert _texts(response, ACME_TEXTS) == [], f"other.localhost{acme_url}"

    # The private page is 404 under every host and spelling, and so are its objects.
    secret_url = route.path(_public_values(route, {**secret_values,
                                                   "subscription_token": "x" * 43}))
    for host in ("secret.localhost", "SECRET.LOCALHOST.", "status.secret.example",
                 "secret.localhost:443"):
        response = _get(host, secret_url)
        assert response.status_code == 404, f"{host}{secret_url}"
        assert _texts(response, SECRET_TEXTS) == [], f"{host}{secret_url}"

    # Forwarded-host headers do not move the request to another page.
    for header in ("secret.localhost", "other.localhost", "status.secret.example"):
        response = _get("acme.localhost", acme_url, **{"X-Forwarded-Host": header})
        assert response.status_code not in (404, 500), f"X-Forwarded-Host {header}"
        assert _texts(response, SECRET_TEXTS) == [], f"X-Forwarded-Host {header}"

    # Hosts outside ALLOWED_HOSTS get 400 before any view runs.
    for host in ("evil.test", "acme.localhost.evil.test", "acme.localhost@evil.test"):
        response = _get(host, acme_url)
        assert response.status_code == 400, f"{host}{acme_url}"
        assert _texts(response, ACME_TEXTS + SECRET_TEXTS) == []


@pytest.mark.parametrize("route", BY_PATH_ROUTES, ids=str)
def test_by_path_route_hides_private_page(route: Route, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["localhost", ".localhost", "127.0.0.1", ".example"]
    world, secret_values = _world_with_secret()
    acme_url = route.path(_public_values(route, world.acme.values))
    secret_url = route.path(_public_values(route, {**secret_values,
                                                   "subscription_token": "x" * 43}))

    assert _get("127.0.0.1", acme_url).status_code not in (404, 500), acme_url
    for host in ("127.0.0.1", "localhost"):
        response = _get(host, secret_url)
        assert response.status_code == 404, f"{host}{secret_url}"
        assert _texts(response, SECRET_TEXTS) == []
    # A page's own host serves no other page by path.
    response = _get("other.localhost", acme_url)
    assert response.status_code == 404, f"other.localhost{acme_url}"
    assert _texts(response, ACME_TEXTS) == []
