"""Forms of the maintenance screens: schedule or edit, post an update, close, delete."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from heliograph.console.form_common import ConsoleForm, markdown_field, services_field
from heliograph.console.incident_forms import DELETE_WORD
from heliograph.console.local_time import LocalTimesMixin, WallTimeField, describe_zone, to_wall
from heliograph.domain.maintenances import TITLE_MAX
from heliograph.domain.models import Maintenance, Page
from heliograph.domain.queries import page_zone
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.public.timefmt import format_datetime

FOLLOW_PAGE = ""
AUTO_ON = "on"
AUTO_OFF = "off"


class MaintenanceForm(LocalTimesMixin, ConsoleForm):
    """Schedule or edit a maintenance; its window is typed in the page's zone."""

    title = forms.CharField(label="Title", max_length=TITLE_MAX,
                            help_text="E.g. “Database upgrade”.")

    def __init__(self, *args: Any, page: Page, maintenance: Maintenance | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone_text = describe_zone(self.zone, timezone.now())
        self.fields["description"] = markdown_field(
            "Description", required=False, help_text="What will happen and what users will "
            "notice. Markdown; the public page shows the first lines on its front page.",
        )
        self.fields["starts_at"] = WallTimeField(
            label=f"Starts ({self.zone.key})", help_text=f"Local time in {zone_text}.",
        )
        self.fields["ends_at"] = WallTimeField(
            label=f"Ends ({self.zone.key})",
            help_text=f"Local time in {zone_text}; after the start.",
        )
        self.fields["services"] = services_field(page)
        self.fields["auto"] = forms.ChoiceField(
            label="Start and complete on its own",
            choices=[
                (FOLLOW_PAGE, "As the page's setting says (now "
                 f"{'on' if page.auto_maintenance else 'off'})"),
                (AUTO_ON, "Yes, at the start and end of the window"),
                (AUTO_OFF, "No, an editor starts and closes it"),
            ],
            required=False, widget=forms.RadioSelect,
        )
        if maintenance is not None and maintenance.status == MaintenanceStatus.COMPLETED:
            for name in ("starts_at", "ends_at", "services"):
                self.fields[name].disabled = True
                self.fields[name].help_text = (
                    "A completed maintenance keeps its window and services."
                )

    @classmethod
    def initial_of(cls, maintenance: Maintenance, page: Page) -> dict[str, Any]:
        zone = page_zone(page)
        start, start_fold = to_wall(maintenance.starts_at, zone)
        end, end_fold = to_wall(maintenance.ends_at, zone)
        auto = {None: FOLLOW_PAGE, True: AUTO_ON, False: AUTO_OFF}[maintenance.auto_transition]
        return {
            "title": maintenance.title, "description": maintenance.description,
            "starts_at": start, "starts_at_fold": start_fold,
            "ends_at": end, "ends_at_fold": end_fold,
            "services": [service.pk for service in maintenance.services.all()],
            "auto": auto,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("starts_at"), cleaned.get("ends_at")
        if isinstance(start, dt.datetime) and isinstance(end, dt.datetime) and end <= start:
            self.add_error("ends_at", f"The end ({format_datetime(end, self.zone)}) is not after "
                           f"the start ({format_datetime(start, self.zone)}): give a later end.")
        return cleaned

    def auto_transition(self) -> bool | None:
        return {AUTO_ON: True, AUTO_OFF: False}.get(self.cleaned_data.get("auto") or "")


class MaintenanceEventForm(LocalTimesMixin, ConsoleForm):
    def __init__(self, *args: Any, maintenance: Maintenance, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(MaintenanceStatus.IN_PROGRESS.value,
                    "In progress" + (" (starts the maintenance)"
                                     if maintenance.status == MaintenanceStatus.SCHEDULED
                                     else ""))]
        if maintenance.status == MaintenanceStatus.SCHEDULED:
            choices.append((MaintenanceStatus.SCHEDULED.value,
                            "Scheduled (a note; the maintenance has not started)"))
        self.fields["status"] = forms.ChoiceField(
            label="Status", choices=choices, widget=forms.RadioSelect,
            initial=MaintenanceStatus.IN_PROGRESS.value,
            error_messages={"invalid_choice": "This maintenance is in progress and cannot go "
                            "back to Scheduled: choose In progress."},
        )
        self.fields["text"] = markdown_field("Update")
        self.fields["at"] = WallTimeField(
            label="Happened at", required=False,
            help_text="Optional; leave empty for the time you publish it. Local time in "
            f"{describe_zone(self.zone, timezone.now())}.",
        )


class CloseMaintenanceForm(LocalTimesMixin, ConsoleForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"] = markdown_field(
            "Closing update", required=False,
            help_text="Optional. Empty publishes “This maintenance has been completed.”",
        )
        self.fields["at"] = WallTimeField(
            label="Completed at", required=False,
            help_text="Optional; leave empty for the time you close it. Local time in "
            f"{describe_zone(self.zone, timezone.now())}.",
        )


class DeleteMaintenanceForm(ConsoleForm):
    confirmation = forms.CharField(label="Type the title, or DELETE, to confirm", max_length=400)

    def __init__(self, *args: Any, maintenance: Maintenance, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.maintenance = maintenance

    def clean_confirmation(self) -> str:
        typed = str(self.cleaned_data["confirmation"]).strip()
        if typed not in (self.maintenance.title.strip(), DELETE_WORD):
            raise forms.ValidationError(
                f"“{typed}” matches neither the title nor {DELETE_WORD}: type one of them "
                "exactly to delete this maintenance."
            )
        return typed
