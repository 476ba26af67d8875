"""Template tags of the service, incident and maintenance screens."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.utils.safestring import SafeString, mark_safe

from heliograph.console.local_time import FoldQuestion, LocalTimesMixin
from heliograph.domain.vocab import DisplayState, MaintenanceStatus, Status
from heliograph.lib import markdown

register = template.Library()

_LABELED = (DisplayState, Status, MaintenanceStatus)


@register.filter
def label(value: Any) -> str:
    """Return the display label of a state, status or maintenance status ("Partial outage")."""
    text = str(value)
    for enum in _LABELED:
        try:
            return enum(text).label
        except ValueError:
            continue
    return text


@register.filter
def as_markdown(text: str) -> SafeString:
    """Render Markdown exactly as the public page does, sanitised."""
    return mark_safe(markdown.render(text or ""))  # noqa: S308 - sanitised by nh3


@register.simple_tag
def fold_question(form: forms.Form, name: str) -> FoldQuestion | None:
    """Return the form's question about a repeated wall time in field `name`, if it has one."""
    if not isinstance(form, LocalTimesMixin):
        return None
    return form.questions().get(name)
