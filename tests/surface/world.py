"""Two pages full of objects, so that every path parameter of the surface has a real value.

Page "acme" has an owner, an editor and a viewer; page "other" belongs to the outsider, who has
no role on acme. Each page gets one object of every kind a route can name. These are a service
in a group, an open incident with its first event, a scheduled maintenance, a subscriber, a
webhook, a delivery, a pending invitation and a linked social account. The page's owner also
gets an API token and a Runstatus credential.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.console import invitations
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Membership, Page, Role
from heliograph.domain.vocab import State, Status
from heliograph.notifications import subscribers
from heliograph.notifications.models import Delivery, WebhookSubscriber
from heliograph.runstatus.models import Credential
from heliograph.social.models import SocialAccount

PERSONAS = ("owner", "editor", "viewer", "outsider", "anonymous")

# A 1x1 transparent PNG, as an uploaded logo.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e5270de40000000049454e44ae426082"
)


@dataclass
class PageObjects:
    """The ids of one page's objects, keyed by the name a URL pattern gives its parameter."""

    page: Page
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    users: dict[str, User | None]
    acme: PageObjects
    other: PageObjects


def _fill_page(page: Page, owner: User, *, member: User, tag: str) -> PageObjects:
    actor = Actor.of_user(owner)
    group = pages.add_group(page, name=f"Core {tag}", actor=actor)
    service = pages.add_service(page, name=f"API {tag}", group=group, actor=actor)
    incident = incidents.open_incident(
        page, title=f"Errors {tag}", text="Looking.", state=State.MAJOR_OUTAGE,
        status=Status.INVESTIGATING, services=[service], actor=actor,
    )
    assert incident.latest_event is not None

    start = timezone.now() + dt.timedelta(days=2)
    maintenance = maintenances.schedule_maintenance(
        page, title=f"Upgrade {tag}", description="", starts_at=start,
        ends_at=start + dt.timedelta(hours=1), services=[service], actor=actor,
    )

    subscriber = subscribers.add_subscriber(page, email=f"reader@{tag}.example", services=None,
                                            actor=actor)
    # Created directly: adding a webhook through the domain resolves its host name.
    webhook = WebhookSubscriber.objects.create(page=page, url=f"https://hooks.{tag}.example/in")
    now = timezone.now()
    delivery = Delivery.objects.create(
        page=page, channel="email", recipient=str(subscriber.pk),
        recipient_label=subscriber.email, idempotency_key=f"sweep-{tag}", kind="incident",
        incident=incident, incident_event=incident.latest_event, status="failed",
        give_up_at=now + dt.timedelta(days=1), failed_at=now,
    )

    invitation = invitations.invite(page, f"invited@{tag}.example", Role.EDITOR, inviter=owner,
                                    actor=actor)
    SocialAccount.objects.create(page=page, network="mastodon",
                                 instance_url=f"https://social.{tag}.example",
                                 handle=f"@status@social.{tag}.example", sealed_token="x")

    membership = Membership.objects.get(page=page, user=member)
    page.logo.save(f"{tag}.png", ContentFile(_PNG), save=True)
    api_token, _raw = ApiToken.issue(owner, [page], can_write=True, name=f"sweep {tag}")
    credential, _secret = Credential.issue(owner, [page], name=f"sweep {tag}")

    return PageObjects(page, {
        "slug": page.slug,
        "group_id": group.pk,
        "service_id": service.pk,
        "incident_id": incident.pk,
        "event_id": incident.latest_event.pk,
        "maintenance_id": maintenance.pk,
        "subscriber_id": subscriber.pk,
        "webhook_id": webhook.pk,
        "delivery_id": delivery.pk,
        "invitation_id": invitation.pk,
        "membership_id": membership.pk,
        "network": "mastodon",
        "token_id": api_token.pk,
        "credential_id": credential.pk,
        "token": invitations.token_of(invitation),
        "subscription_token": subscriber.token,
    })


def build_world() -> World:
    owner = User.objects.create_user("owner@example.com", "correct horse 42")
    editor = User.objects.create_user("editor@example.com", "correct horse 42")
    viewer = User.objects.create_user("viewer@example.com", "correct horse 42")
    outsider = User.objects.create_user("outsider@example.com", "correct horse 42")
    acme = pages.create_page("acme", title="Acme", owner=owner, time_zone="UTC",
                             actor=Actor.of_user(owner))
    pages.set_member(acme, editor, Role.EDITOR, actor=Actor.of_user(owner))
    pages.set_member(acme, viewer, Role.VIEWER, actor=Actor.of_user(owner))
    other = pages.create_page("other", title="Other", owner=outsider, time_zone="UTC",
                              actor=Actor.of_user(outsider))
    return World(
        users={"owner": owner, "editor": editor, "viewer": viewer, "outsider": outsider,
               "anonymous": None},
        acme=_fill_page(acme, owner, member=editor, tag="acme"),
        other=_fill_page(other, outsider, member=outsider, tag="other"),
    )


# Rows that change on every request whatever its outcome, left out of database snapshots.
_VOLATILE_MODELS = {"sessions.session"}
_VOLATILE_FIELDS = {"last_used_at", "last_login"}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Return every stored row of every model, for comparing before and after a request."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in _VOLATILE_MODELS or not model._meta.managed:
            continue
        names = [f.attname for f in model._meta.concrete_fields
                 if f.attname not in _VOLATILE_FIELDS]
        manager: models.Manager[Any] = model._default_manager
        rows[label] = sorted(manager.values_list(*names), key=repr)
    return rows


def changed_tables(before: dict[str, list[tuple[Any, ...]]],
                   after: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))
