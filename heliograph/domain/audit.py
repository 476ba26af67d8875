"""The audit log, and the small helpers every domain function uses to record a change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Model
from django.dispatch import Signal
from django.utils import timezone

from heliograph.domain.models import AuditEntry, Page

# Sent with `page_id` after the transaction that changed a page commits.
page_changed = Signal()


@dataclass(frozen=True)
class Actor:
    """The author of a change: a user (through the console, a token or the CLI) or the system."""

    user: Any = None
    label: str = "system"

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user=None, label=label)

    @classmethod
    def of_user(cls, user: Any, via: str = "") -> Actor:
        label = f"{user.email} via {via}" if via else user.email
        return cls(user=user, label=label[:200])


def snapshot(obj: Model, fields: list[str]) -> dict[str, Any]:
    """Return the JSON-ready values of `fields` of `obj`, for the before and after of a change."""
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        elif isinstance(value, Model):
            value = value.pk
        elif hasattr(value, "all"):
            value = sorted(item.pk for item in value.all())
        elif value is not None and not isinstance(value, str | int | float | bool | list | dict):
            value = str(value)
        values[name] = value
    return values


def record(
    page: Page,
    actor: Actor,
    action: str,
    obj: Model | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write an audit entry and bump the page's version, inside the caller's transaction."""
    touch(page)
    return AuditEntry.objects.create(
        page=page,
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "page",
        object_id=obj.pk if obj is not None else page.pk,
        before=before,
        after=after,
    )


def touch(page: Page) -> None:
    """Mark the page as changed so that caches of its public views are renewed."""
    now = timezone.now()
    Page.objects.filter(pk=page.pk).update(version=F("version") + 1, updated_at=now)
    page.updated_at = now
    page_id = page.pk
    transaction.on_commit(lambda: page_changed.send(sender=Page, page_id=page_id))
