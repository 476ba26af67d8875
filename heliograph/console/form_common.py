"""Pieces shared by the forms of services, incidents and maintenances."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from django import forms

from heliograph.domain.errors import DomainError, InvalidValue, RuleViolation
from heliograph.domain.models import Page, Service
from heliograph.domain.validation import check_label
from heliograph.public.timefmt import format_datetime

# The Markdown fields of the console; the same limit as the domain's event texts.
TEXT_MAX = 20_000
_ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00")
_INDEXED = re.compile(r"(?P<list>\w+)\.(?P<index>\d+)\.(?P<field>\w+)")


class ConsoleForm(forms.Form):
    """A form whose rows carry CSS classes for errors and required fields.

    Django links each widget to its help text and errors (`aria-describedby` with the ids
    `<id>_helptext` and `<id>_error`), which the field template renders.
    """

    error_css_class = "has-error"
    required_css_class = "required"
    # Set when a rule that depends on the current state rejected the form (RuleViolation).
    conflicts = False

    def show_error(self, error: DomainError) -> None:
        """Show a rule the domain rejected on the field it names, or above the form.

        Forms that know the page's zone (`self.zone`) show the message's UTC times in it.
        """
        if isinstance(error, RuleViolation):
            # The request conflicts with the current state, so the response status is 409.
            self.conflicts = True
        field = error.field if error.field in self.fields else None
        zone = getattr(self, "zone", None)
        message = local_times(error.message, zone) if zone is not None else error.message
        self.add_error(field, message)


def clean_label(value: str) -> str:
    """Check a one-line name the way the domain does, as a form error on the field."""
    try:
        return check_label(value)
    except InvalidValue as error:
        raise forms.ValidationError(error.message) from None


def local_times(message: str, zone: zoneinfo.ZoneInfo) -> str:
    """Rewrite the ISO 8601 UTC times in a domain message in `zone`, with the zone named."""

    def rewrite(match: re.Match[str]) -> str:
        moment = dt.datetime.fromisoformat(match[0])
        return format_datetime(moment, zone)

    return _ISO_UTC.sub(rewrite, message)


def indexed_field(name: str | None) -> tuple[int, str] | None:
    """Split a domain field name such as "events.2.at" into (2, "at")."""
    match = _INDEXED.fullmatch(name or "")
    if match is None:
        return None
    return int(match["index"]), match["field"]


def markdown_field(label: str, *, required: bool = True, help_text: str = "") -> forms.CharField:
    """Return a text area for Markdown whose preview shows the public page's rendering."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        strip=False,
        help_text=help_text or "Markdown: **bold**, _italic_, [link](https://…), lists. "
        "A single line break stays a line break.",
        widget=forms.Textarea(attrs={"rows": 6, "data-markdown": "true"}),
    )


def services_field(page: Page, *, label: str = "Affected services",
                   help_text: str = "") -> forms.ModelMultipleChoiceField[Any]:
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=Service.objects.filter(page=page).order_by("position", "id"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
        error_messages={
            "invalid_choice": "Service %(value)s is no longer on this page: reload the page "
            "and choose again.",
        },
    )


def state_choices(values: list[Any]) -> list[tuple[str, str]]:
    return [(str(value.value), value.label) for value in values]
