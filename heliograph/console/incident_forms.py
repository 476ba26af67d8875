"""Forms of the incident screens: open, update, close, backfill, correct and delete."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone

from heliograph.console.form_common import (
    ConsoleForm,
    markdown_field,
    services_field,
    state_choices,
)
from heliograph.console.local_time import LocalTimesMixin, WallTimeField, describe_zone
from heliograph.domain.incidents import TITLE_MAX
from heliograph.domain.models import Incident, IncidentEvent, Page
from heliograph.domain.queries import concerned_service_ids
from heliograph.domain.vocab import State, Status

OPENING_STATES = [State.DEGRADED_PERFORMANCE, State.PARTIAL_OUTAGE, State.MAJOR_OUTAGE]
OPENING_STATUSES = [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING]
DELETE_WORD = "DELETE"
# The maximum number of rows of the backfill form.
MAX_PAST_EVENTS = 50

# Whether an update concerns all the incident's services or only some (a partial fix).
ALL_SERVICES = "all"
SOME_SERVICES = "some"


def _time_help(zone: zoneinfo.ZoneInfo, now_text: str) -> str:
    return (f"Optional; leave empty for {now_text}. Local time in "
            f"{describe_zone(zone, timezone.now())}.")


def _state_field(states: list[State], *, rejected: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label="State", choices=state_choices(states), widget=forms.RadioSelect,
        error_messages={"invalid_choice": rejected or "Choose one of the states listed.",
                        "required": "Choose how bad things are for the affected services."},
    )


def _status_field(statuses: list[Status], *, rejected: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Status", choices=state_choices(statuses), widget=forms.RadioSelect,
        error_messages={"invalid_choice": rejected or "Choose one of the statuses listed.",
                        "required": "Choose where the team is with this incident."},
    )


class OpenIncidentForm(LocalTimesMixin, ConsoleForm):
    """The opening form; an incident never opens as operational or resolved."""

    title = forms.CharField(label="Title", max_length=TITLE_MAX,
                            help_text="What the public reads first, e.g. “Elevated API errors”.")

    def __init__(self, *args: Any, page: Page, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"] = _state_field(
            OPENING_STATES,
            rejected="An incident cannot open as Operational: choose Degraded performance, "
            "Partial outage or Major outage, or record a past incident instead.",
        )
        self.fields["status"] = _status_field(
            OPENING_STATUSES,
            rejected="An incident cannot open as Resolved: choose Investigating, Identified "
            "or Monitoring, or record a past incident instead.",
        )
        self.fields["services"] = services_field(
            page, help_text="Leave all unticked when no single service is to blame."
        )
        self.fields["text"] = markdown_field("First update")
        self.fields["at"] = WallTimeField(
            label="Started at", required=False,
            help_text=_time_help(self.zone, "the time you publish it"),
        )
        self.initial.setdefault("status", Status.INVESTIGATING.value)


class EventForm(LocalTimesMixin, ConsoleForm):
    """An update to an open incident, whose state and status start as the latest update's."""

    scope = forms.ChoiceField(
        label="This update concerns",
        choices=[(ALL_SERVICES, "All the incident's affected services"),
                 (SOME_SERVICES, "Only the services ticked below (a partial fix)")],
        widget=forms.RadioSelect, initial=ALL_SERVICES,
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"] = _state_field(list(State))
        self.fields["status"] = _status_field(list(Status))
        self.fields["status"].help_text = (
            "Resolved closes the incident; its state is then Operational."
        )
        self.fields["services"] = services_field(
            incident.page, label="Services still affected",
            help_text="Used with “Only the services ticked below”.",
        )
        self.fields["text"] = markdown_field("Update")
        self.fields["at"] = WallTimeField(
            label="Happened at", required=False,
            help_text=_time_help(self.zone, "the time you publish it"),
        )
        self.order_fields(["state", "status", "scope", "services", "text", "at"])

    @classmethod
    def initial_of(cls, incident: Incident) -> dict[str, Any]:
        """Return the values of the latest update, so an editor changes only what changed."""
        latest = incident.latest_event
        initial: dict[str, Any] = {"state": incident.state, "status": incident.status}
        if latest is not None and latest.services_override:
            initial["scope"] = SOME_SERVICES
            initial["services"] = sorted(concerned_service_ids(incident, latest))
        else:
            initial["scope"] = ALL_SERVICES
            initial["services"] = [service.pk for service in incident.services.all()]
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("status") == Status.RESOLVED and cleaned.get("state") not in (
            None, State.OPERATIONAL
        ):
            self.add_error("state", "A Resolved update closes the incident, so its state must "
                           "be Operational: choose Operational, or another status.")
        return cleaned

    def chosen_services(self) -> list[int] | None:
        """Return the services the update names, or None when it concerns all of them."""
        if self.cleaned_data.get("scope") != SOME_SERVICES:
            return None
        return [service.pk for service in self.cleaned_data.get("services") or []]


class CloseForm(LocalTimesMixin, ConsoleForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"] = markdown_field(
            "Closing update", required=False,
            help_text="Optional. Empty publishes “This incident has been resolved.”",
        )
        self.fields["at"] = WallTimeField(
            label="Resolved at", required=False,
            help_text=_time_help(self.zone, "the time you close it"),
        )


class EditIncidentForm(ConsoleForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if incident.is_open:
            self.fields["services"] = services_field(
                incident.page,
                help_text="Changing them corrects the whole incident, its outage figures "
                "included, for every update that does not name its own services.",
            )

    @classmethod
    def initial_of(cls, incident: Incident) -> dict[str, Any]:
        return {"title": incident.title,
                "services": [service.pk for service in incident.services.all()]}


class EventTextForm(ConsoleForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"] = markdown_field(
            "Corrected text",
            help_text="The public page shows the update as edited; the audit log keeps the "
            "old text.",
        )

    @classmethod
    def initial_of(cls, event: IncidentEvent) -> dict[str, Any]:
        return {"text": event.text}


class DeleteIncidentForm(ConsoleForm):
    confirmation = forms.CharField(label="Type the title, or DELETE, to confirm", max_length=400)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident

    def clean_confirmation(self) -> str:
        typed = str(self.cleaned_data["confirmation"]).strip()
        if typed not in (self.incident.title.strip(), DELETE_WORD):
            raise forms.ValidationError(
                f"“{typed}” matches neither the title nor {DELETE_WORD}: type one of them "
                "exactly to delete this incident."
            )
        return typed


class BackfillForm(ConsoleForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)

    def __init__(self, *args: Any, page: Page, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"] = services_field(page)


class PastEventForm(LocalTimesMixin, ConsoleForm):
    """One row of a backfilled incident; a row left entirely empty is skipped."""

    at = WallTimeField(label="Time",
                       error_messages={"required": "Give the time of this update."})
    state = forms.ChoiceField(
        label="State", required=False,
        choices=[("", "—"), *state_choices(list(State))],
    )
    status = forms.ChoiceField(
        label="Status", choices=[("", "—"), *state_choices(list(Status))],
        error_messages={"required": "Choose the status of this update."},
    )
    text = forms.CharField(label="Text", max_length=20_000, strip=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": "Type the text of this update."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at"].label = f"Time ({self.zone.key})"


class BaseRowsFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        filled = [form for form in self.forms if form.has_changed()]
        if not filled:
            raise forms.ValidationError("Add at least one update: the last one resolved.")


PastEventFormSet = forms.formset_factory(
    PastEventForm, formset=BaseRowsFormSet, extra=3, max_num=MAX_PAST_EVENTS, validate_max=True,
)
