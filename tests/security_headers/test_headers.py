"""Security headers on every route of the URL configuration, for every kind of caller.

The routes come from Django's resolver, so a new view is covered without being listed here.
Path parameters are filled with real objects of the test page where one exists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Membership, Page
from heliograph.domain.vocab import State, Status
from heliograph.lib.security import content_security_policy
from heliograph.notifications import subscribers

MAIN_HOST = "127.0.0.1"
PAGE_HOST = f"acme.{settings.HELIOGRAPH_DOMAIN}"
_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>[^>]+)>[^)]*\)")


def walk_routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Yield (pattern text, route name) for every view in the URL configuration."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name or entry.lookup_str


def fill(pattern: str, values: dict[str, str]) -> str:
    """Turn a route or regex pattern into a path, with `values` for its parameters."""
    path = _REGEX_GROUP.sub(lambda match: values.get(match["name"], "1"), pattern)
    path = _ROUTE_PARAMETER.sub(lambda match: values.get(match["name"], "1"), path)
    path = path.replace("[/]*", "").replace("/?", "/").replace("^", "").replace("$", "")
    return "/" + path


@pytest.fixture
def parameters(page: Page, owner: User, editor: User, add_service: Any) -> dict[str, str]:
    """Create one object of each kind that a path names, and return the path parameters."""
    actor = Actor.of_user(owner)
    service = add_service("API")
    group = pages.add_group(page, name="Backend", actor=actor)
    now = timezone.now()
    incident = incidents.open_incident(
        page, title="Errors", text="Looking into it.", state=State.PARTIAL_OUTAGE,
        status=Status.INVESTIGATING, services=[service], actor=actor,
    )
    event = incident.events.first()
    assert event is not None
    maintenance = maintenances.schedule_maintenance(
        page, title="Upgrade", description="Database upgrade.",
        starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1, hours=1),
        actor=actor,
    )
    subscriber = subscribers.add_subscriber(page, email="reader@example.com", services=None,
                                            actor=actor)
    membership = Membership.objects.get(page=page, user=editor)
    return {
        "slug": page.slug,
        "service_id": str(service.pk),
        "group_id": str(group.pk),
        "incident_id": str(incident.pk),
        "event_id": str(event.pk),
        "maintenance_id": str(maintenance.pk),
        "subscriber_id": str(subscriber.pk),
        "membership_id": str(membership.pk),
        "token": subscriber.token,
        "network": "mastodon",
        "name": "missing.png",
        "rest": "no-such-path",
    }


def all_paths(parameters: dict[str, str]) -> list[str]:
    paths = {fill(pattern, parameters) for pattern, _name in
             walk_routes(get_resolver().url_patterns)}
    return sorted(paths)


def check_headers(path: str, response: Any) -> list[str]:
    """Return what is wrong with the security headers of one response (empty when nothing)."""
    problems = []
    where = f"{path} ({response.status_code})"
    policy = response.get("Content-Security-Policy", "")
    if not policy:
        problems.append(f"{where}: no Content-Security-Policy")
    elif "'unsafe-eval'" in policy:
        problems.append(f"{where}: policy allows 'unsafe-eval'")
    elif "default-src 'none'" not in policy:
        # The application's own policy; responses with a narrower one of their own keep it.
        nonce = re.search(r"'nonce-([A-Za-z0-9_-]{22})'", policy)
        if nonce is None:
            problems.append(f"{where}: no nonce in {policy!r}")
        elif policy != content_security_policy(nonce.group(1)):
            problems.append(f"{where}: unexpected policy {policy!r}")
    expected = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    for header, value in expected.items():
        if response.get(header) != value:
            problems.append(f"{where}: {header} is {response.get(header)!r}")
    permissions = response.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        if feature not in permissions:
            problems.append(f"{where}: Permissions-Policy lacks {feature}")
    if not response.get("X-Request-ID"):
        problems.append(f"{where}: no X-Request-ID")
    if path.startswith(("/console/", "/accounts/")) and response.get("X-Frame-Options") != "DENY":
        problems.append(f"{where}: X-Frame-Options is {response.get('X-Frame-Options')!r}")
    if response.status_code >= 500:
        problems.append(f"{where}: server error")
    return problems


def sweep(client: Client, paths: list[str], method: str) -> list[str]:
    problems = []
    for path in paths:
        response = getattr(client, method)(path)
        problems.extend(check_headers(f"{method.upper()} {path}", response))
    return problems


@pytest.mark.django_db
def test_route_list_covers_every_area(parameters: dict[str, str]) -> None:
    paths = all_paths(parameters)
    for prefix in ("/console/pages/acme/", "/accounts/", "/api/v1/", "/runstatus/", "/p/acme/",
                   "/.well-known/security.txt", "/healthz", "/readyz", "/metrics"):
        assert any(path.startswith(prefix) for path in paths), prefix
    assert not [path for path in paths if "<" in path or "(?P" in path]


@pytest.mark.django_db
def test_every_route_as_owner(parameters: dict[str, str], owner: User) -> None:
    client = Client(HTTP_HOST=MAIN_HOST)
    client.force_login(owner)
    assert sweep(client, all_paths(parameters), "get") == []


@pytest.mark.django_db
def test_every_route_anonymous(parameters: dict[str, str]) -> None:
    client = Client(HTTP_HOST=MAIN_HOST)
    paths = all_paths(parameters)
    assert sweep(client, paths, "get") == []
    assert sweep(client, paths, "post") == []


@pytest.mark.django_db
def test_every_route_on_page_host(parameters: dict[str, str]) -> None:
    client = Client(HTTP_HOST=PAGE_HOST)
    paths = [path for path in all_paths(parameters) if not path.startswith("/p/")]
    assert sweep(client, paths, "get") == []


@pytest.mark.django_db
def test_unknown_host_gets_headers() -> None:
    response = Client(HTTP_HOST=f"nobody.{settings.HELIOGRAPH_DOMAIN}").get("/")
    assert response.status_code == 404
    assert check_headers("/ on an unknown host", response) == []


@pytest.mark.django_db
def test_nonce_differs_per_request(page: Page) -> None:
    client = Client(HTTP_HOST=MAIN_HOST)
    first = client.get("/p/acme/")
    second = client.get("/p/acme/")
    nonces = [re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
              for response in (first, second)]
    assert nonces[0] is not None
    assert nonces[1] is not None
    assert nonces[0].group(1) != nonces[1].group(1)


def inline_elements(html: str) -> list[str]:
    return re.findall(r"<(?:style|script)\b[^>]*>", html)


@pytest.mark.django_db
def test_inline_elements_carry_nonce(parameters: dict[str, str], owner: User) -> None:
    client = Client(HTTP_HOST=MAIN_HOST)
    client.force_login(owner)
    checked = 0
    problems = []
    for path in all_paths(parameters):
        response = client.get(path)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        policy = response["Content-Security-Policy"]
        if "default-src 'none'" in policy:
            continue
        html = response.content.decode()
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert nonce is not None, path
        for tag in inline_elements(html):
            if "src=" not in tag and f'nonce="{nonce.group(1)}"' not in tag:
                problems.append(f"{path}: {tag}")
        for attribute in re.findall(r"<[a-z][^>]*\sstyle=\"[^\"]*\"", html):
            problems.append(f"{path}: style attribute in {attribute[:80]}")
        for attribute in re.findall(r"<[a-z][^>]*\son[a-z]+=\"", html):
            problems.append(f"{path}: event handler attribute in {attribute[:80]}")
        checked += 1
    assert checked > 20
    assert problems == []


@pytest.mark.django_db
def test_embed_stays_frameable(page: Page) -> None:
    response = Client(HTTP_HOST=PAGE_HOST).get("/embed")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_public_pages_refuse_frames(page: Page) -> None:
    response = Client(HTTP_HOST=PAGE_HOST).get("/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


# Transport security


@pytest.mark.django_db
def test_hsts_only_on_secure_requests(page: Page) -> None:
    client = Client(HTTP_HOST=PAGE_HOST)
    assert "Strict-Transport-Security" not in client.get("/")
    secure = client.get("/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.django_db
def test_hsts_behind_proxy_header(page: Page, settings: Any) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client(HTTP_HOST=PAGE_HOST)
    assert "Strict-Transport-Security" in client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in client.get("/", HTTP_X_FORWARDED_PROTO="http")


def login(client: Client, *, secure: bool) -> Any:
    """Submit the login form and return the response that sets the session cookie."""
    client.get("/accounts/login/", secure=secure)
    return client.post("/accounts/login/", {"email": "owner@example.com",
                                            "password": "correct horse 42"}, secure=secure)


@pytest.mark.django_db
@pytest.mark.parametrize("secure", [False, True])
def test_cookie_flags(owner: User, secure: bool) -> None:
    client = Client(HTTP_HOST=MAIN_HOST)
    form = client.get("/accounts/login/", secure=secure)
    csrf = form.cookies[settings.CSRF_COOKIE_NAME]
    response = login(client, secure=secure)
    assert response.status_code == 302, response.content[:300]
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    for cookie in (csrf, session):
        assert cookie["httponly"] is True, cookie.key
        assert cookie["samesite"] == "Lax", cookie.key
        assert bool(cookie["secure"]) is secure, cookie.key
