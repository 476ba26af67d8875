"""The bodies of webhook requests: Heliograph's JSON, and Slack's and Discord's formats.

Slack's Block Kit reference limits a section block's text to 3,000 characters and a header
block's to 150. Discord limits a message's `content` to 2,000 characters, an embed's title to
256, its description to 4,096, a field value to 1,024, and all of an embed's texts together to
6,000. Both sets of limits are as quoted in the documentation of client libraries for these
APIs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from heliograph.domain.models import IncidentEvent, Maintenance, MaintenanceEvent, Page
from heliograph.domain.queries import page_zone
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from heliograph.notifications.email import page_link
from heliograph.notifications.models import Delivery
from heliograph.public.timefmt import format_datetime

SLACK_SECTION_MAX = 3000
SLACK_HEADER_MAX = 150
DISCORD_CONTENT_MAX = 2000
DISCORD_TITLE_MAX = 256
DISCORD_DESCRIPTION_MAX = 4096
DISCORD_FIELD_VALUE_MAX = 1024
DISCORD_EMBED_TOTAL_MAX = 6000
# Discord embed colours by state, as 0xRRGGBB integers.
_COLOURS = {"operational": 0x2E7D32, "degraded_performance": 0xF9A825,
            "partial_outage": 0xEF6C00, "major_outage": 0xC62828, "maintenance": 0x1565C0}


@dataclass(frozen=True)
class Update:
    """One notice, in the terms that all three flavours share."""

    kind: str
    page: Page
    subject_type: str  # "incident" or "maintenance"
    subject_id: int
    title: str
    heading: str
    state: str
    text: str
    at: dt.datetime
    when: str
    link: str
    services: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def update_of(delivery: Delivery) -> Update:
    """Load the incident or maintenance event of `delivery` as an `Update`."""
    page = delivery.page
    zone = page_zone(page)
    if delivery.incident_event_id is not None:
        event = IncidentEvent.objects.select_related("incident").get(pk=delivery.incident_event_id)
        return _incident_update(delivery.kind, page, event, zone)
    maintenance = Maintenance.objects.get(pk=delivery.maintenance_id or 0)
    step = None
    if delivery.maintenance_event_id is not None:
        step = MaintenanceEvent.objects.get(pk=delivery.maintenance_event_id)
    return _maintenance_update(delivery.kind, page, maintenance, step, zone)


def _incident_update(kind: str, page: Page, event: IncidentEvent, zone: Any) -> Update:
    incident = event.incident
    services = event.services if event.services_override else incident.services
    return Update(
        kind=kind, page=page, subject_type="incident", subject_id=incident.pk,
        title=incident.title, heading=Status(event.status).label,
        state=event.state, text=event.text, at=event.at, when=format_datetime(event.at, zone),
        link=page_link(page, f"incidents/{incident.pk}"),
        services=[{"id": pk, "name": name} for pk, name in
                  services.order_by("pk").values_list("pk", "name")],
        data={
            "incident": {"id": incident.pk, "title": incident.title,
                         "state": incident.state, "status": incident.status,
                         "opened_at": incident.opened_at.isoformat(),
                         "closed_at": incident.closed_at.isoformat()
                         if incident.closed_at else None},
            "update": {"id": event.pk, "at": event.at.isoformat(), "state": event.state,
                       "state_label": State(event.state).label, "status": event.status,
                       "status_label": Status(event.status).label, "text": event.text},
        },
    )


def _maintenance_update(kind: str, page: Page, maintenance: Maintenance,
                        event: MaintenanceEvent | None, zone: Any) -> Update:
    window = (f"{format_datetime(maintenance.starts_at, zone)} to "
              f"{format_datetime(maintenance.ends_at, zone)}")
    if event is None:
        heading, text, at = "Scheduled maintenance", maintenance.description, maintenance.created_at
        update = None
    else:
        heading, text, at = MaintenanceStatus(event.status).label, event.text, event.at
        update = {"id": event.pk, "at": event.at.isoformat(), "status": event.status,
                  "status_label": heading, "text": event.text}
    return Update(
        kind=kind, page=page, subject_type="maintenance", subject_id=maintenance.pk,
        title=maintenance.title, heading=heading, state="maintenance", text=text, at=at,
        when=window, link=page_link(page, f"maintenances/{maintenance.pk}"),
        services=[{"id": pk, "name": name} for pk, name in
                  maintenance.services.order_by("pk").values_list("pk", "name")],
        data={
            "maintenance": {"id": maintenance.pk, "title": maintenance.title,
                            "description": maintenance.description,
                            "status": maintenance.status,
                            "starts_at": maintenance.starts_at.isoformat(),
                            "ends_at": maintenance.ends_at.isoformat()},
            "update": update,
        },
    )


def json_body(update: Update, delivery_id: str) -> dict[str, Any]:
    """Build Heliograph's own payload."""
    return {
        "type": update.kind,
        "delivery": delivery_id,
        "page": {"slug": update.page.slug, "title": update.page.title,
                 "url": page_link(update.page)},
        "incident": None,
        "maintenance": None,
        **update.data,
        "services": update.services,
        "links": {"html": update.link},
    }


def cut(text: str, limit: int) -> str:
    """Shorten `text` to at most `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_escape(text: str) -> str:
    """Escape the three characters that Slack's mrkdwn treats as markup: & < >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(update: Update) -> dict[str, Any]:
    """Build a Slack incoming-webhook message: plain `text` for notifications, and blocks."""
    title = f"{update.page.title}: {update.title}"
    services = ", ".join(service["name"] for service in update.services) or "All services"
    summary = f"*{slack_escape(update.heading)}*, {slack_escape(update.when)}"
    body = slack_escape(update.text) if update.text else ""
    section = cut(f"{summary}\n{body}" if body else summary, SLACK_SECTION_MAX)
    link = f"<{update.link}|View on the status page>"
    return {
        "text": cut(slack_escape(f"{title}: {update.heading}"), SLACK_SECTION_MAX),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "emoji": False,
                                        "text": cut(slack_escape(title), SLACK_HEADER_MAX)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": cut(f"{slack_escape(services)} · {link}",
                                               SLACK_SECTION_MAX)},
            ]},
        ],
        "unfurl_links": False,
    }


def discord_body(update: Update) -> dict[str, Any]:
    """Build a Discord webhook message with one embed and no allowed mentions.

    An empty `allowed_mentions` keeps `@everyone` or a role mention in a text from notifying.
    """
    services = ", ".join(service["name"] for service in update.services) or "All services"
    title = cut(update.title, DISCORD_TITLE_MAX)
    fields: list[dict[str, Any]] = [
        {"name": "Status", "value": cut(update.heading, DISCORD_FIELD_VALUE_MAX), "inline": True},
        {"name": "When", "value": cut(update.when, DISCORD_FIELD_VALUE_MAX), "inline": True},
        {"name": "Services", "value": cut(services, DISCORD_FIELD_VALUE_MAX)},
    ]
    others = len(title) + sum(len(item["name"]) + len(item["value"]) for item in fields)
    description_max = min(DISCORD_DESCRIPTION_MAX, DISCORD_EMBED_TOTAL_MAX - others)
    return {
        "content": cut(f"{update.page.title}: {update.title} ({update.heading})",
                       DISCORD_CONTENT_MAX),
        "embeds": [{
            "title": title,
            "url": update.link,
            "description": cut(update.text or update.heading, description_max),
            "timestamp": update.at.isoformat(),
            "color": _COLOURS.get(update.state, 0x546E7A),
            "fields": fields,
        }],
        "allowed_mentions": {"parse": []},
    }
