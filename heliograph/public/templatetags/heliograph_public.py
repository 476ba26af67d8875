"""Template tags of the public page: icons, labels, links and times in the page's zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from heliograph.domain.vocab import MaintenanceStatus
from heliograph.public import presenter
from heliograph.public.routing import PageRoute
from heliograph.public.timefmt import DATE_TIME, TIME, duration_text, time_element, window_html

register = template.Library()


@register.simple_tag
def palette_css() -> SafeString:
    """Return the colour custom properties of both themes, for the page's `<style>` block."""
    return mark_safe(presenter.palette_css())  # noqa: S308 - built from constants only


@register.simple_tag
def icon(state: Any, css_class: str = "icon") -> SafeString:
    return presenter.icon(state, css_class)


@register.filter
def state_label(value: Any) -> str:
    """Return the display label of a state or status, e.g. "Partial outage"."""
    return presenter.label(str(value))


@register.filter
def maintenance_look(status: str) -> str:
    """Return the state whose look a maintenance takes: blue until completed, then green."""
    if status == MaintenanceStatus.COMPLETED:
        return "operational"
    return "under_maintenance"


@register.simple_tag
def page_url(route: PageRoute, *parts: object) -> str:
    return route.url(*parts)


@register.simple_tag(takes_context=True)
def moment(context: template.Context, value: dt.datetime, style: str = DATE_TIME) -> SafeString:
    """Show an instant in the page's zone with the zone named; `style` "t" shows the time only."""
    return time_element(value, context["zone"], TIME if style == TIME else DATE_TIME)


@register.simple_tag(takes_context=True)
def window(context: template.Context, start: dt.datetime, end: dt.datetime) -> SafeString:
    return window_html(start, end, context["zone"])


@register.filter
def duration(span: dt.timedelta) -> str:
    return duration_text(span)
