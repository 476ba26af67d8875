"""Incidents and their events on the Runstatus API, through the domain's incident functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse

from heliograph.domain import incidents as domain_incidents
from heliograph.domain.errors import DomainError
from heliograph.domain.models import Incident, IncidentEvent, Role
from heliograph.domain.vocab import State, Status
from heliograph.runstatus import access, wire
from heliograph.runstatus.endpoint import Call, Created, endpoint, no_content
from heliograph.runstatus.errors import from_domain
from heliograph.runstatus.pagination import paginate

STATES = {state.value: state for state in State}
STATUSES = {status.value: status for status in Status}
# The domain calls the first event's text `text`; this API calls it `status_text`.
OPEN_FIELDS = {"text": "status_text"}


def list_incidents(call: Call, slug: str) -> dict[str, Any]:
    """List the page's incidents, newest first, each with its events."""
    page = access.get_page(call.credential, slug)

    def present(rows: Sequence[Incident]) -> list[dict[str, Any]]:
        return [wire.incident_body(incident) for incident in rows]

    return paginate(call.request, wire.incidents_with_events(page), present,
                    wire.link("incidents", slug))


def open_incident(call: Call, slug: str) -> Created:
    """Open an incident with `title`, `status_text`, `state`, `status` and service names."""
    page = access.get_page(call.credential, slug)
    fields = call.fields()
    title = fields.text("title", required=True)
    text = fields.text("status_text", required=True)
    state = fields.choice("state", STATES, required=True)
    status = fields.choice("status", STATUSES, required=True)
    services = fields.services("services", page)
    fields.check()
    assert title is not None
    assert text is not None
    assert state is not None
    assert status is not None

    try:
        incident = domain_incidents.open_incident(
            page, title=title, text=text, state=state, status=status,
            services=services or [], actor=call.actor,
        )
    except DomainError as error:
        raise from_domain(error, OPEN_FIELDS) from None
    return Created(wire.incident_body(access.get_incident(page, str(incident.pk))))


def get_incident(call: Call, slug: str, incident_id: str) -> dict[str, Any]:
    page = access.get_page(call.credential, slug)
    return wire.incident_body(access.get_incident(page, incident_id))


def update_incident(call: Call, slug: str, incident_id: str) -> dict[str, Any]:
    """Change the title, the affected services (while open) or the post-mortem.

    Services equal to the incident's own are no change, so that a client may send a closed
    incident back as it received it, with a post-mortem added.
    """
    page = access.get_page(call.credential, slug)
    incident = access.get_incident(page, incident_id)
    fields = call.fields()
    services = fields.services("services", page)
    if services is not None and set(services) == set(incident.services.all()):
        services = None
    changes: dict[str, Any] = {"title": fields.text("title"), "services": services}
    if fields.has("post_mortem"):
        changes["post_mortem"] = fields.text("post_mortem", nullable=True) or None
    fields.check()

    domain_incidents.update_incident(incident, actor=call.actor, **changes)
    return wire.incident_body(access.get_incident(page, incident_id))


def delete_incident(call: Call, slug: str, incident_id: str) -> HttpResponse:
    """Delete an incident and its events (owners only, as on the management API)."""
    page = access.get_page(call.credential, slug, need=Role.OWNER)
    domain_incidents.delete_incident(access.get_incident(page, incident_id), actor=call.actor)
    return no_content()


def list_events(call: Call, slug: str, incident_id: str) -> dict[str, Any]:
    page = access.get_page(call.credential, slug)
    incident = access.get_incident(page, incident_id)
    events = IncidentEvent.objects.filter(incident=incident).order_by("-at", "-id")

    def present(rows: Sequence[IncidentEvent]) -> list[dict[str, Any]]:
        return [wire.incident_event_body(event) for event in rows]

    return paginate(call.request, events, present,
                    wire.link("incident-events", slug, incident.pk))


def post_event(call: Call, slug: str, incident_id: str) -> Created:
    """Post `{"text", "status", "state"}`; status `resolved` closes the incident.

    A missing status or state keeps the incident's current one, except that a resolved event
    without a state is operational, the only state a resolved event can have.
    """
    page = access.get_page(call.credential, slug)
    incident = access.get_incident(page, incident_id)
    fields = call.fields()
    text = fields.text("text", required=True)
    status = fields.choice("status", STATUSES)
    state = fields.choice("state", STATES)
    fields.check()
    assert text is not None

    status = status or Status(incident.status)
    if state is None:
        state = State.OPERATIONAL if status == Status.RESOLVED else State(incident.state)
    event = domain_incidents.post_event(incident, text=text, state=state, status=status,
                                        actor=call.actor)
    return Created(wire.incident_event_body(event))


incidents_view = endpoint(get=list_incidents, post=open_incident)
incident_view = endpoint(get=get_incident, patch=update_incident, delete=delete_incident)
incident_events_view = endpoint(get=list_events, post=post_event)
