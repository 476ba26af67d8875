"""E-mail and webhook subscribers of a page: list, add (confirmed at once) and remove."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from heliograph.api import access
from heliograph.api.pagination import DEFAULT_LIMIT, paginate
from heliograph.api.routes.common import ERRORS, Cursor, Limit, PathId
from heliograph.domain.errors import InvalidValue
from heliograph.domain.models import Role
from heliograph.notifications import subscribers, webhooks
from heliograph.notifications.models import Subscriber, WebhookSubscriber

router = Router(tags=["subscribers"])

SubscriberKind = Literal["email", "webhook"]


class SubscriberCreate(Schema):
    """An e-mail subscriber (confirmed at once) or a webhook subscriber, added by an editor."""

    model_config = ConfigDict(extra="forbid")

    kind: SubscriberKind = Field(description="`email` or `webhook`.")
    address: str | None = Field(default=None, max_length=254,
                                description="The e-mail address (kind `email`).")
    url: str | None = Field(default=None, max_length=2000,
                            description="The http(s) URL that receives POST requests "
                                        "(kind `webhook`).")
    flavour: Literal["json", "slack", "discord"] = Field(
        default="json", description="The webhook body format (kind `webhook`).")
    services: list[int] = Field(default_factory=list,
                                description="Service ids to hear about; empty for all.")


class SubscriberOut(Schema):
    id: int
    kind: SubscriberKind
    address: str | None = Field(description="The e-mail address, for kind `email`.")
    url: str | None = Field(default=None, description="The webhook URL, for kind `webhook`.")
    flavour: str | None = Field(default=None, description="The webhook body format.")
    secret: str | None = Field(
        default=None,
        description="The webhook's signing secret. Only the response that adds it shows it.")
    services: list[int]
    confirmed: bool
    disabled_at: dt.datetime | None = None
    disabled_reason: str = ""
    created_at: dt.datetime


class SubscriberList(Schema):
    items: list[SubscriberOut]
    next_cursor: str | None


@router.get("/{slug}/subscribers", response={200: SubscriberList, **ERRORS},
            summary="List the page's e-mail or webhook subscribers")
def list_subscribers(request: HttpRequest, slug: str, cursor: Cursor = None,
                     limit: Limit = DEFAULT_LIMIT, kind: SubscriberKind = "email") -> Any:
    """List e-mail subscribers, confirmed or not, or with `kind=webhook` the webhooks.

    Their addresses are visible to editors only.
    """
    page = access.get_page(request, slug, need=Role.EDITOR, write=False)
    if kind == "webhook":
        hooks, next_cursor = paginate(
            WebhookSubscriber.objects.filter(page=page).prefetch_related("services"),
            ["created_at", "id"], cursor, limit,
        )
        return {"items": [_webhook_body(hook) for hook in hooks], "next_cursor": next_cursor}
    rows, next_cursor = paginate(
        Subscriber.objects.filter(page=page).prefetch_related("services"),
        ["created_at", "id"], cursor, limit,
    )
    return {"items": [_body(subscriber) for subscriber in rows], "next_cursor": next_cursor}


@router.post("/{slug}/subscribers", response={201: SubscriberOut, **ERRORS},
             summary="Add a confirmed e-mail subscriber or a webhook subscriber")
def add_subscriber(request: HttpRequest, slug: str, payload: SubscriberCreate) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    if payload.kind == "webhook":
        if payload.address is not None:
            raise InvalidValue("unexpected_field", "A webhook subscriber takes `url`, not "
                               "`address`.", field="address")
        hook = webhooks.add_webhook(page, url=payload.url or "", flavour=payload.flavour,
                                    services=payload.services or None,
                                    actor=access.actor_of(request))
        return Status(201, _webhook_body(hook, with_secret=True))
    if payload.url is not None:
        raise InvalidValue("unexpected_field", "An e-mail subscriber takes `address`, not "
                           "`url`.", field="url")
    subscriber = subscribers.add_subscriber(
        page, email=payload.address or "", services=payload.services or None,
        actor=access.actor_of(request),
    )
    return Status(201, _body(subscriber))


@router.delete("/{slug}/subscribers/{subscriber_id}", response={204: None, **ERRORS},
               summary="Remove a subscriber")
def remove_subscriber(request: HttpRequest, slug: str, subscriber_id: PathId,
                      kind: SubscriberKind = "email") -> Any:
    """Remove an e-mail subscriber, or with `kind=webhook` a webhook subscriber."""
    page = access.get_page(request, slug, need=Role.EDITOR)
    if kind == "webhook":
        hook = WebhookSubscriber.objects.filter(page=page, pk=subscriber_id).first()
        if hook is None:
            raise Http404
        webhooks.remove_webhook(hook, actor=access.actor_of(request))
        return HttpResponse(status=204)
    subscriber = Subscriber.objects.filter(page=page, pk=subscriber_id).first()
    if subscriber is None:
        raise Http404
    subscribers.remove_subscriber(subscriber, actor=access.actor_of(request))
    return HttpResponse(status=204)


def _body(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "id": subscriber.pk,
        "kind": "email",
        "address": subscriber.email,
        "services": [] if subscriber.all_services else sorted(
            service.pk for service in subscriber.services.all()
        ),
        "confirmed": subscriber.confirmed_at is not None,
        "created_at": subscriber.created_at,
    }


def _webhook_body(hook: WebhookSubscriber, *, with_secret: bool = False) -> dict[str, Any]:
    return {
        "id": hook.pk,
        "kind": "webhook",
        "address": None,
        "url": hook.url,
        "flavour": hook.flavour,
        "secret": hook.secret if with_secret else None,
        "services": [] if hook.all_services else sorted(
            service.pk for service in hook.services.all()
        ),
        "confirmed": True,
        "disabled_at": hook.disabled_at,
        "disabled_reason": hook.disabled_reason,
        "created_at": hook.created_at,
    }
