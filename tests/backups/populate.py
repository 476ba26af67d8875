"""Build a page with one of everything through the domain functions and the subscribe flow."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from PIL import Image

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.console import invitations, logos
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Role
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from heliograph.importers.models import ImportedObject
from heliograph.notifications import sending, subscribers, webhooks
from heliograph.notifications.models import Delivery, Subscriber
from heliograph.runstatus.models import Credential
from heliograph.social import linking
from heliograph.social.models import SocialPost


@dataclass
class Populated:
    page: Page
    # Addresses that only this page stores (subscribers and the invited person).
    addresses: list[str]


def png_logo(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buffer, "PNG")
    return buffer.getvalue()


def populate(page: Page, owner: User, tag: str) -> Populated:
    """Give `page` a logo, members, services, history, subscribers, hooks, accounts and keys.

    `tag` makes the addresses of this page unique within the database.
    """
    actor = Actor.of_user(owner)
    logos.store(page, logos.clean(SimpleUploadedFile("logo.png", png_logo())), actor=actor)
    editor = User.objects.create_user(f"editor-{tag}@example.com", "correct horse 42")
    pages.set_member(page, editor, Role.EDITOR, actor=actor)

    group = pages.add_group(page, name="Core", actor=actor)
    api = pages.add_service(page, name="API", group=group, actor=actor)
    pages.add_service(page, name="Website", actor=actor)

    visitor = f"visitor-{tag}@subscriber.example"
    added = f"added-{tag}@subscriber.example"
    immediate = HUEY.immediate
    HUEY.immediate = True
    try:
        subscribers.request_subscription(page, email=visitor, services=None)
    finally:
        HUEY.immediate = immediate
    subscribers.confirm(Subscriber.objects.get(page=page, email=visitor))
    subscribers.add_subscriber(page, email=added, services=[api.pk], actor=actor)
    webhooks.add_webhook(page, url=f"https://hooks.example.com/{tag}", flavour="json",
                         services=None, actor=actor)
    linking.link_x(page, handle=f"@{tag}_status", token=f"token-{tag}", secret=f"secret-{tag}",
                   actor=actor)
    invited = f"invited-{tag}@example.org"
    invitations.invite(page, invited, Role.VIEWER, inviter=owner, actor=actor)

    incident = incidents.open_incident(
        page, title="API errors", text="We are looking into it.", state=State.PARTIAL_OUTAGE,
        status=Status.INVESTIGATING, services=[api.pk], actor=actor,
    )
    incidents.post_event(incident, text="Found it.", state=State.PARTIAL_OUTAGE,
                         status=Status.IDENTIFIED, actor=actor)
    incidents.close_incident(incident, actor=actor)
    start = timezone.now() + dt.timedelta(days=1)
    maintenance = maintenances.schedule_maintenance(
        page, title="Database upgrade", description="Planned.", starts_at=start,
        ends_at=start + dt.timedelta(hours=1), services=[api.pk], actor=actor,
    )
    maintenances.post_event(maintenance, text="Starting early.",
                            status=MaintenanceStatus.IN_PROGRESS, actor=actor)

    _send_email_deliveries(page)
    x_delivery = Delivery.objects.filter(page=page, channel="x").first()
    if x_delivery is not None:
        SocialPost.objects.create(delivery=x_delivery, text="API errors: we are on it.")
    ApiToken.issue(owner, [page], can_write=True, name=f"only {tag}")
    Credential.issue(owner, [page], name=f"only {tag}")
    ImportedObject.objects.create(page=page, source="statuspage", kind="incident",
                                  external_id=f"ext-{tag}", object_id=incident.pk)
    page.refresh_from_db()
    return Populated(page, [visitor, added, invited])


def _send_email_deliveries(page: Page) -> None:
    """Send the page's e-mail deliveries through the test mail backend, recording attempts.

    Other channels' deliveries stay claimed and unsent: they would reach outside services.
    """
    claim = sending.claim_due(limit=1000)
    for delivery in claim.deliveries:
        if delivery.page_id == page.pk and delivery.channel == "email":
            sending.send_one(delivery, claim.token)


def row_ids(models: list[type[Any]]) -> dict[str, set[Any]]:
    """Return the primary keys of every row, by model label."""
    return {model._meta.label: set(model._default_manager.values_list("pk", flat=True))
            for model in models}
