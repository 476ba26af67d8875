"""The presentation of states on the public page: labels, colours, icon shapes, favicon.

Each state has its own icon shape as well as its colour, so colour is never the only signal.
The two palettes below are the only place the colours are defined, and the page's `<style>`
block is generated from them. The tests check every colour pair against the WCAG 2.2 AA
contrast minimums: 4.5:1 for text, 3:1 for icons, day bars and focus rings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from heliograph.domain.models import Page
from heliograph.domain.vocab import DisplayState, State

NO_DATA = "no_data"

LABELS: dict[str, Promise] = {
    "operational": _("Operational"),
    "degraded_performance": _("Degraded performance"),
    "partial_outage": _("Partial outage"),
    "major_outage": _("Major outage"),
    "under_maintenance": _("Under maintenance"),
    "investigating": _("Investigating"),
    "identified": _("Identified"),
    "monitoring": _("Monitoring"),
    "resolved": _("Resolved"),
    "scheduled": _("Scheduled"),
    "in_progress": _("In progress"),
    "completed": _("Completed"),
    NO_DATA: _("No data"),
}

# Outline icons on a 24-unit grid, drawn with `stroke: currentColor`: an outer shape and a glyph
# inside it. The shapes differ per state: circle, diamond, triangle, octagon, rounded square,
# dashed circle.
ICON_PATHS: dict[str, tuple[str, str]] = {
    "operational": ('<circle cx="12" cy="12" r="9.5"/>', '<path d="m7.5 12.5 3 3 6-6.5"/>'),
    "degraded_performance": ('<path d="M12 2.5 21.5 12 12 21.5 2.5 12z"/>',
                             '<path d="M8 12h8"/>'),
    "partial_outage": ('<path d="M12 3 22 20.5H2z"/>', '<path d="M12 9.5v5m0 3v.5"/>'),
    "major_outage": ('<path d="M8 2.5h8l5.5 5.5v8L16 21.5H8L2.5 16V8z"/>',
                     '<path d="m9 9 6 6m0-6-6 6"/>'),
    "under_maintenance": ('<rect x="3" y="3" width="18" height="18" rx="3"/>',
                          '<path d="M12 7.5V12l3 2"/>'),
    NO_DATA: ('<circle cx="12" cy="12" r="9.5" stroke-dasharray="3 3"/>', ""),
}


def label(value: str) -> str:
    """Return the translated display label of a state, status or maintenance status."""
    return str(LABELS[value])


def state_key(state: DisplayState | State | str | None) -> str:
    """Return the key of a state's look: the wire spelling, or `no_data` for None."""
    if state is None:
        return NO_DATA
    return str(state)


def icon(state: DisplayState | State | str | None, css_class: str = "icon") -> SafeString:
    """Return an inline SVG that shows the state's icon shape from the page's sprite.

    The icon is decorative (`aria-hidden`): every place that shows one also shows the label.
    """
    key = state_key(state)
    return format_html(
        '<svg class="{} s-{}" aria-hidden="true" focusable="false"><use href="#i-{}"></use></svg>',
        css_class, key, key,
    )


@cache
def icon_sprite() -> SafeString:
    """Return the hidden SVG with one `<symbol>` per state, included once in each page."""
    symbols = "".join(
        f'<symbol id="i-{key}" viewBox="0 0 24 24">{shape}{glyph}</symbol>'
        for key, (shape, glyph) in ICON_PATHS.items()
    )
    return mark_safe(  # noqa: S308 - built from the constants above only
        f'<svg class="sprite" aria-hidden="true" focusable="false">{symbols}</svg>'
    )


# --- Colours -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateColours:
    mark: str  # icons, day bars and the banner's edge, on the page background: at least 3:1
    banner: str  # the banner's background
    on_banner: str  # text and icon on the banner: at least 4.5:1


@dataclass(frozen=True)
class Palette:
    background: str
    surface: str
    text: str
    muted: str
    border: str
    link: str
    focus: str
    states: dict[str, StateColours]


_LIGHT_YELLOW = StateColours(mark="#b08800", banner="#f2c744", on_banner="#1f2328")
_DARK_YELLOW = StateColours(mark="#d29922", banner="#d29922", on_banner="#0d1117")

PALETTES: dict[str, Palette] = {
    "light": Palette(
        background="#ffffff", surface="#f6f8fa", text="#1f2328", muted="#59636e",
        border="#d1d9e0", link="#0969da", focus="#0969da",
        states={
            "operational": StateColours("#1a7f37", "#1a7f37", "#ffffff"),
            "degraded_performance": _LIGHT_YELLOW,
            "partial_outage": _LIGHT_YELLOW,
            "major_outage": StateColours("#cf222e", "#cf222e", "#ffffff"),
            "under_maintenance": StateColours("#0969da", "#0969da", "#ffffff"),
            NO_DATA: StateColours("#818b98", "#818b98", "#000000"),
        },
    ),
    "dark": Palette(
        background="#0d1117", surface="#161b22", text="#e6edf3", muted="#9198a1",
        border="#3d444d", link="#4493f8", focus="#4493f8",
        states={
            "operational": StateColours("#3fb950", "#3fb950", "#0d1117"),
            "degraded_performance": _DARK_YELLOW,
            "partial_outage": _DARK_YELLOW,
            "major_outage": StateColours("#f85149", "#f85149", "#0d1117"),
            "under_maintenance": StateColours("#4493f8", "#4493f8", "#0d1117"),
            NO_DATA: StateColours("#6e7681", "#6e7681", "#ffffff"),
        },
    ),
}


def _custom_properties(palette: Palette) -> str:
    lines = [
        f"--bg:{palette.background};--surface:{palette.surface};--text:{palette.text};"
        f"--muted:{palette.muted};--border:{palette.border};--link:{palette.link};"
        f"--focus:{palette.focus};"
    ]
    for key, colours in palette.states.items():
        lines.append(
            f"--{key}:{colours.mark};--{key}-banner:{colours.banner};"
            f"--{key}-on:{colours.on_banner};"
        )
    return "".join(lines)


@cache
def palette_css() -> str:
    """Return the CSS custom properties of both themes, for the `<style>` block of each page.

    `<html data-theme>` is light, dark or auto; auto follows the visitor's system setting.
    """
    light = _custom_properties(PALETTES["light"])
    dark = _custom_properties(PALETTES["dark"])
    return (
        f":root{{color-scheme:light;{light}}}"
        f':root[data-theme="dark"]{{color-scheme:dark;{dark}}}'
        f':root[data-theme="auto"]{{color-scheme:light dark}}'
        f'@media (prefers-color-scheme: dark){{:root[data-theme="auto"]{{{dark}}}}}'
    )


_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """Return the WCAG 2.2 relative luminance of a `#rrggbb` colour."""
    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    return 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG 2.2 contrast ratio of two `#rrggbb` colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class HeaderColours:
    background: str
    text: str


def header_colours(page: Page) -> HeaderColours | None:
    """Return the page's own header colours, or None when the header follows the theme.

    A header left at the default colours follows the light or dark theme. Custom colours are
    kept in both themes. When their contrast is below 4.5:1, the text becomes black or white,
    whichever contrasts more, so an unlucky choice in the settings cannot make the title
    unreadable.
    """
    background = page.header_background or ""
    text = page.header_text_color or ""
    if not (_HEX_COLOUR.fullmatch(background) and _HEX_COLOUR.fullmatch(text)):
        return None
    defaults = (
        Page._meta.get_field("header_background").get_default(),
        Page._meta.get_field("header_text_color").get_default(),
    )
    if (background.lower(), text.lower()) == defaults:
        return None
    if contrast_ratio(background, text) < 4.5:
        black, white = contrast_ratio(background, "#000000"), contrast_ratio(background, "#ffffff")
        text = "#000000" if black >= white else "#ffffff"
    return HeaderColours(background=background.lower(), text=text.lower())


# --- Favicon -------------------------------------------------------------------------------


def favicon_svg(state: DisplayState | State | str | None) -> str:
    """Return a standalone SVG favicon: the state's shape filled with its light-theme colour.

    A filled shape with a white glyph reads on light and dark browser tabs alike.
    """
    key = state_key(state)
    colour = PALETTES["light"].states[key].mark
    shape, glyph = ICON_PATHS[key]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" stroke-width="2.4" '
        'stroke-linecap="round" stroke-linejoin="round">'
        f'<g fill="{colour}" stroke="{colour}">{shape}</g>'
        f'<g fill="none" stroke="#ffffff">{glyph}</g></svg>'
    )
