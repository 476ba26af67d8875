"""Record past incidents that the domain's backfill rejects only for being brief.

Statuspage keeps incidents with a single update, and incidents whose first and last updates
share a time. githubstatus.com has 839 such incidents from 2010 to 2021, each a single
resolved update whose text lists the times of the original reports. `backfill_incident` needs
two events and a duration, so it rejects them, and they would be lost.

`record` applies every other rule of the backfill (texts, times in the past and in order, a
last event that is resolved and operational, a first event that is not operational unless it
is the only one), writes the same audit entry, and bumps the page's version.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from heliograph.domain import audit
from heliograph.domain.audit import Actor
from heliograph.domain.common import cover_history
from heliograph.domain.errors import InvalidValue, RuleViolation
from heliograph.domain.incidents import TEXT_MAX, TITLE_MAX, PastEvent
from heliograph.domain.models import Incident, IncidentEvent, Page, Service
from heliograph.domain.validation import check_aware, check_text
from heliograph.domain.vocab import State, Status

# The backfill's errors that `record` accepts.
CODES = frozenset({"backfill_too_short", "backfill_without_duration"})
# The fields of an incident's audit entries, as the domain's own incident functions write them.
AUDITED = ["title", "state", "status", "opened_at", "closed_at", "services", "post_mortem"]


def record(page: Page, *, title: str, services: Sequence[Service],
           events: Sequence[PastEvent], actor: Actor) -> Incident:
    """Record a past incident of one event, or of events that all share one time."""
    title = check_text(title, field="title", max_length=TITLE_MAX, multiline=False)
    checked = _check(events)
    now = timezone.now()
    with transaction.atomic():
        first, last = checked[0], checked[-1]
        incident = Incident.objects.create(
            page=page, title=title, state=State.OPERATIONAL, status=Status.RESOLVED,
            opened_at=first.at, closed_at=last.at, backfilled=True,
            created_by=actor.user, created_at=now, updated_at=now,
        )
        incident.services.set(services)
        created = IncidentEvent.objects.bulk_create(
            IncidentEvent(incident=incident, at=past.at, state=past.state or State.OPERATIONAL,
                          status=past.status, text=past.text, author=actor.user, posted_at=now)
            for past in checked
        )
        incident.latest_event = created[-1]
        incident.save(update_fields=["latest_event"])
        cover_history(page, services, first.at)
        audit.record(page, actor, "incident.backfill", incident,
                     after=audit.snapshot(incident, AUDITED) | {"events": len(created)})
    return incident


def _check(events: Sequence[PastEvent]) -> list[PastEvent]:
    # NOTE: these checks repeat those of `backfill_incident` in heliograph.domain.incidents; a
    # change of the backfill's rules needs the same change here.
    if not events:
        raise InvalidValue("required", "events must not be empty.", field="events")
    now = timezone.now()
    checked: list[PastEvent] = []
    for index, past in enumerate(events):
        field = f"events.{index}"
        at = check_aware(past.at, field=f"{field}.at")
        if at > now:
            raise RuleViolation("event_in_future",
                                f"{field}.at is in the future: give a time up to now.",
                                field=f"{field}.at")
        if checked and at < checked[-1].at:
            raise RuleViolation("event_out_of_order",
                                f"{field}.at is before the event above it: list the events "
                                "oldest first.", field=f"{field}.at")
        is_last = index == len(events) - 1
        if is_last and (past.status != Status.RESOLVED
                        or past.state not in (None, State.OPERATIONAL)):
            raise RuleViolation("backfill_not_resolved",
                                "The last event of a past incident must be resolved and "
                                "operational.", field=f"{field}.status")
        if not is_last:
            _check_earlier(past, index, field)
        text = check_text(past.text, field=f"{field}.text", max_length=TEXT_MAX)
        checked.append(PastEvent(at=at, status=past.status, text=text,
                                 state=State.OPERATIONAL if is_last else past.state))
    return checked


def _check_earlier(past: PastEvent, index: int, field: str) -> None:
    if past.status == Status.RESOLVED:
        raise RuleViolation("resolved_before_end",
                            "Only the last event of an incident can be resolved.",
                            field=f"{field}.status")
    if past.state is None:
        raise InvalidValue("required", f"{field}.state is missing.", field=f"{field}.state")
    if index == 0 and past.state == State.OPERATIONAL:
        raise RuleViolation("opening_state_operational",
                            "The first event of an incident cannot be operational.",
                            field=f"{field}.state")
