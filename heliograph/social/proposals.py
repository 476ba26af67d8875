"""The proposed post for an incident event or a newly scheduled maintenance, per account."""

from __future__ import annotations

import datetime as dt

from heliograph.domain.models import IncidentEvent, Maintenance, Page
from heliograph.domain.queries import page_zone
from heliograph.domain.vocab import State, Status
from heliograph.notifications import post_text
from heliograph.notifications.channels import Kind
from heliograph.notifications.email import page_link
from heliograph.notifications.models import Delivery
from heliograph.public.timefmt import format_datetime
from heliograph.social.models import Network, SocialAccount


def network_rules(account: SocialAccount) -> post_text.Network:
    if account.network == Network.X:
        return post_text.X
    return post_text.mastodon(account.max_characters)


def propose_incident_event(event: IncidentEvent, rules: post_text.Network) -> str:
    incident = event.incident
    return post_text.compose(
        state=State(event.state).label, title=incident.title, status=Status(event.status).label,
        text=event.text, link=page_link(incident.page, f"incidents/{incident.pk}"),
        network=rules,
    )


def propose_maintenance(maintenance: Maintenance, rules: post_text.Network) -> str:
    zone = page_zone(maintenance.page)
    window = (f"{format_datetime(maintenance.starts_at, zone)} to "
              f"{format_datetime(maintenance.ends_at, zone)}")
    return post_text.compose(
        state="Scheduled maintenance", title=maintenance.title, status=window,
        text=maintenance.description,
        link=page_link(maintenance.page, f"maintenances/{maintenance.pk}"), network=rules,
    )


def propose_reminder(maintenance: Maintenance, rules: post_text.Network) -> str:
    """Compose the reminder posted shortly before a maintenance starts."""
    zone = page_zone(maintenance.page)
    window = (f"starts {format_datetime(maintenance.starts_at, zone)}, ends "
              f"{format_datetime(maintenance.ends_at, zone)}")
    return post_text.compose(
        state="Maintenance starting soon", title=maintenance.title, status=window,
        text=maintenance.description,
        link=page_link(maintenance.page, f"maintenances/{maintenance.pk}"), network=rules,
    )


def propose_draft_incident(page: Page, *, title: str, state: str, status: str, text: str,
                           tail: str, rules: post_text.Network) -> str:
    """Compose a post from an incident form's values, before the event is saved.

    `state` and `status` are vocabulary values (an unknown one is left out), and `tail` is
    the incident's public path.
    """
    return post_text.compose(
        state=_label(State, state), title=title, status=_label(Status, status), text=text,
        link=page_link(page, tail), network=rules,
    )


def propose_draft_maintenance(page: Page, *, title: str, description: str,
                              starts_at: dt.datetime | None, ends_at: dt.datetime | None,
                              tail: str, rules: post_text.Network) -> str:
    """Compose a post from the schedule form's values; a window not yet valid is left out."""
    zone = page_zone(page)
    window = ""
    if starts_at is not None and ends_at is not None:
        window = f"{format_datetime(starts_at, zone)} to {format_datetime(ends_at, zone)}"
    return post_text.compose(
        state="Scheduled maintenance", title=title, status=window, text=description,
        link=page_link(page, tail), network=rules,
    )


def _label(vocabulary: type[State] | type[Status], value: str) -> str:
    try:
        return str(vocabulary(value).label)
    except ValueError:
        return ""


def propose_for_delivery(delivery: Delivery, rules: post_text.Network) -> str:
    if delivery.kind == Kind.MAINTENANCE_REMINDER and delivery.maintenance is not None:
        return propose_reminder(delivery.maintenance, rules)
    if delivery.incident_event is not None:
        return propose_incident_event(delivery.incident_event, rules)
    if delivery.maintenance is not None:
        return propose_maintenance(delivery.maintenance, rules)
    raise ValueError(f"delivery {delivery.pk} has no incident event or maintenance to post")
