"""The SVG status badge of a page or one service, and the HTML snippets that embed it.

The badge has two parts, like the badges of code hosts. The label (the page's title or the
service's name) is on a grey ground. The state's label is on the state's banner colour from
`presenter.PALETTES`, whose text contrast the presenter's tests check. Text widths are
estimated from the characters. Each `<text>` also carries that width as `textLength`, so
the text fills its box in whatever font the viewer has.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from heliograph.domain.models import Page, Service
from heliograph.lib import plaintext
from heliograph.lib.urls import public_url
from heliograph.public import presenter

CONTENT_TYPE = "image/svg+xml; charset=utf-8"
HEIGHT = 20
FONT_SIZE = 11
PADDING = 6
# Longer titles and names are cut with an ellipsis so the badge stays a badge.
TEXT_MAX = 40
# Grey enough to stand apart from light and dark backgrounds alike.
LABEL_BACKGROUND = presenter.PALETTES["light"].muted
LABEL_TEXT = "#ffffff"
# The size of the `<iframe>` in the embed snippet, in CSS pixels.
EMBED_WIDTH, EMBED_HEIGHT = 360, 72

# Estimated advance widths in pixels at 11 px. Measured with Pillow against DejaVu Sans, the
# second font of the badge's `font-family`, they come within 8 % for the state labels and
# typical Latin names. An estimate is enough because `textLength` makes the text fit.
_NARROW = frozenset("il|.,:;'!`")
_SEMI_NARROW = frozenset("fjtrI()[]{} -/\\\"")
_WIDE = frozenset("mwMW%@")
_WIDTH_NARROW, _WIDTH_SEMI, _WIDTH_WIDE = 3.2, 4.4, 10.2
_WIDTH_UPPER, _WIDTH_DIGIT, _WIDTH_OTHER, _WIDTH_FULL = 7.6, 7.0, 6.8, 11.0


def char_width(char: str) -> float:
    """Return the estimated width of one character in pixels, 0 for marks that combine."""
    if unicodedata.category(char) in {"Mn", "Me", "Cf"}:
        return 0.0
    if unicodedata.east_asian_width(char) in {"W", "F"}:
        return _WIDTH_FULL
    if char in _NARROW:
        return _WIDTH_NARROW
    if char in _SEMI_NARROW:
        return _WIDTH_SEMI
    if char in _WIDE:
        return _WIDTH_WIDE
    if char.isupper():
        return _WIDTH_UPPER
    if char.isdigit():
        return _WIDTH_DIGIT
    return _WIDTH_OTHER


def text_width(text: str) -> int:
    return round(sum(char_width(char) for char in text))


def badge_text(value: str) -> str:
    """Return `value` on one line, without control characters, cut at `TEXT_MAX` characters."""
    text = " ".join(plaintext.clean(value, multiline=False).split())
    if len(text) <= TEXT_MAX:
        return text
    return text[: TEXT_MAX - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    state: str  # a key of the palette: a display state or "no_data"

    @property
    def title(self) -> str:
        return f"{self.label}: {self.message}"


def page_badge(page: Page, state: str) -> Badge:
    return Badge(badge_text(page.title), presenter.label(state), state)


def service_badge(service: Service, state: str) -> Badge:
    return Badge(badge_text(service.name), presenter.label(state), state)


def badge_svg(badge: Badge) -> str:
    """Return the badge as a standalone SVG document with a `<title>` for screen readers."""
    colours = presenter.PALETTES["light"].states[badge.state]
    label_width = text_width(badge.label) + 2 * PADDING
    message_width = text_width(badge.message) + 2 * PADDING
    width = label_width + message_width
    title = html.escape(badge.title)
    baseline = 14
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        f'<clipPath id="round"><rect width="{width}" height="{HEIGHT}" rx="3"/></clipPath>'
        f'<g clip-path="url(#round)">'
        f'<rect width="{label_width}" height="{HEIGHT}" fill="{LABEL_BACKGROUND}"/>'
        f'<rect x="{label_width}" width="{message_width}" height="{HEIGHT}" '
        f'fill="{colours.banner}"/></g>'
        f'<g font-family="Verdana,DejaVu Sans,sans-serif" font-size="{FONT_SIZE}" '
        f'text-anchor="middle" aria-hidden="true">'
        f'<text x="{label_width / 2:g}" y="{baseline}" fill="{LABEL_TEXT}" '
        f'textLength="{label_width - 2 * PADDING}" lengthAdjust="spacingAndGlyphs">'
        f"{html.escape(badge.label)}</text>"
        f'<text x="{label_width + message_width / 2:g}" y="{baseline}" '
        f'fill="{colours.on_banner}" textLength="{message_width - 2 * PADDING}" '
        f'lengthAdjust="spacingAndGlyphs">{html.escape(badge.message)}</text>'
        f"</g></svg>"
    )


@dataclass(frozen=True)
class EmbedSnippets:
    """The HTML that a page's owner copies into another site, and the URLs it uses."""

    badge_url: str
    badge_html: str
    embed_url: str
    iframe_html: str
    # (service name, badge URL) per service, in the page's order.
    service_badges: list[tuple[str, str]]


def embed_snippets(page: Page, services: list[Service]) -> EmbedSnippets:
    """Return the badge and `<iframe>` snippets, with absolute URLs on the page's own host."""
    base = public_url(page)
    title = plaintext.clean(page.title, multiline=False)
    alt = gettext("%(title)s status") % {"title": title}
    badge_url = f"{base}badge.svg"
    embed_url = f"{base}embed"
    badge_html: SafeString = format_html(
        '<a href="{}"><img src="{}" alt="{}" height="{}"></a>', base, badge_url, alt, HEIGHT
    )
    iframe_html: SafeString = format_html(
        '<iframe src="{}" title="{}" width="{}" height="{}" style="border:0" '
        'loading="lazy"></iframe>',
        embed_url, alt, EMBED_WIDTH, EMBED_HEIGHT,
    )
    return EmbedSnippets(
        badge_url=badge_url,
        badge_html=str(badge_html),
        embed_url=embed_url,
        iframe_html=str(iframe_html),
        service_badges=[(service.name, f"{badge_url}?service={service.pk}")
                        for service in services],
    )
