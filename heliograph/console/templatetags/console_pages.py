"""Template tags of the console's page screens: links to sections and times in a zone."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from heliograph.public import presenter
from heliograph.public.timefmt import DATE_TIME, TIME, time_element, window_html

register = template.Library()


@register.simple_tag
def url_or(name: str, fallback: str, slug: str, *args: object) -> str:
    """Reverse `name` with the slug and `args`, or `fallback` with the slug alone.

    Links to screens that a deployment may not have yet (an incident's own screen) fall back
    to the section's list instead of failing the whole page.
    """
    try:
        return reverse(name, args=[slug, *args])
    except NoReverseMatch:
        return reverse(fallback, args=[slug])


@register.simple_tag(takes_context=True)
def local_time(context: template.Context, value: dt.datetime | None,
               style: str = DATE_TIME) -> SafeString:
    """Show an instant in the page's zone (`zone` in the context) with the zone named."""
    if value is None:
        return format_html("{}", "")
    return time_element(value, context["zone"], TIME if style == TIME else DATE_TIME)


@register.filter
def utc(value: dt.datetime | None) -> str:
    """Format an instant in UTC, for screens that belong to no page (API tokens)."""
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@register.simple_tag
def state_icons() -> SafeString:
    """Return the hidden SVG sprite that `icon` refers to; include it once per screen."""
    return presenter.icon_sprite()


@register.simple_tag
def state_icon(state: object) -> SafeString:
    """Return a state's icon; decorative, so every use shows the state's label next to it."""
    return presenter.icon(str(state))


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key)


@register.simple_tag(takes_context=True)
def local_window(context: template.Context, start: dt.datetime, end: dt.datetime) -> SafeString:
    """Show a window in the page's zone; the end shows its date only on another local day."""
    return window_html(start, end, context["zone"])
