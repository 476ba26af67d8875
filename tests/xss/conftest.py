"""Fixtures of the hostile-text tests: the routes to render and the pages to render them for."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from heliograph.api.models import ApiToken
from heliograph.console.models import Invitation
from heliograph.domain.models import IncidentEvent, Membership, ServiceGroup
from heliograph.notifications.models import Delivery, Subscriber, WebhookSubscriber
from heliograph.runstatus.models import Credential
from tests.notifications.conftest import smtp_sink
from tests.notifications.test_webhooks import hooks
from tests.xss.corpus import Built

# Fixtures of the notification tests, used by test_notices.py.
__all__ = ["hooks", "smtp_sink"]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Route:
    """A named URL pattern and the names of the values its path takes."""

    name: str
    parameters: frozenset[str]


def walk(patterns: list[Any], namespace: str = "",
         parameters: frozenset[str] = frozenset()) -> Iterator[Route]:
    """Yield every named route under `patterns`, with the parameters of its whole path."""
    for pattern in patterns:
        names = parameters | frozenset(pattern.pattern.converters)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, inner, names)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield Route(f"{namespace}{pattern.name}", names)


def routes(prefix: str) -> list[Route]:
    """Return the routes whose name starts with `prefix`, each once."""
    found = {route.name: route for route in walk(get_resolver().url_patterns)
             if route.name.startswith(prefix)}
    return sorted(found.values(), key=lambda route: route.name)


def path_values(built: Built) -> dict[str, Any]:
    """Return a value for each path parameter of the public and console routes of `built`."""
    page = built.page
    subscriber = (Subscriber.objects.filter(page=page).exclude(email="reader@example.com").first()
                  or Subscriber.objects.get(page=page))
    group = ServiceGroup.objects.filter(page=page).first()
    webhook = WebhookSubscriber.objects.filter(page=page).first()
    invitation = Invitation.objects.filter(page=page).first()
    return {
        "slug": page.slug,
        "incident_id": built.incident.pk,
        "maintenance_id": built.maintenance.pk,
        "service_id": built.service.pk,
        "event_id": IncidentEvent.objects.filter(incident=built.incident).latest("pk").pk,
        "membership_id": Membership.objects.filter(page=page).first().pk,  # type: ignore[union-attr]
        "token": subscriber.token,
        "group_id": group.pk if group else 0,
        "webhook_id": webhook.pk if webhook else 0,
        "token_id": ApiToken.objects.filter(pages=page).latest("pk").pk,
        "credential_id": Credential.objects.filter(pages=page).latest("pk").pk,
        "delivery_id": Delivery.objects.filter(page=page).latest("pk").pk,
        "invitation_id": invitation.pk if invitation else 0,
        "network": "x",
    }


def url_of(route: Route, values: dict[str, Any]) -> str:
    missing = sorted(route.parameters - set(values))
    assert not missing, (f"the route {route.name} takes {missing}: add a value for it to "
                         "tests/xss/conftest.py path_values()")
    return reverse(route.name, kwargs={name: values[name] for name in route.parameters})


def get(client: Client, url: str) -> Any:
    return client.get(url, HTTP_HOST=HOST)
