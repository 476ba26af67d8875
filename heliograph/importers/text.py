"""Bring imported texts within Heliograph's rules, saying what had to change.

Statuspage renders a few HTML tags in update bodies (`<strong>`, `<b>`, `<a href>`, `<br>`, lists),
and old incidents moved into Statuspage often consist of them. Heliograph shows event texts as
Markdown with HTML escaped, so those tags become the equivalent Markdown. Text that contains
none of them, including text such as `<some functionality>`, is left exactly as it is.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

# Embedding, override and isolate controls, which the domain rejects in texts.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KNOWN_TAG = re.compile(r"</?(?:a|b|br|em|i|li|ol|p|strong|ul)\b[^<>]*>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"\s+")
_URL_DROPPED = str.maketrans("", "", "\t\r\n")
_LINK_ESCAPES = str.maketrans({" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"})


def is_blank(text: str) -> bool:
    """Return whether `text` shows nothing: only spaces, controls and invisible format
    characters such as zero-width spaces."""
    return all(unicodedata.category(char)[0] in "CZ" for char in text)


def has_html(text: str) -> bool:
    return _KNOWN_TAG.search(text) is not None


def html_to_markdown(text: str) -> str:
    """Return `text` with the HTML tags Statuspage renders turned into Markdown."""
    if not has_html(text):
        return text
    converter = _MarkdownWriter()
    converter.feed(text)
    converter.close()
    return _BLANK_LINES.sub("\n\n", "".join(converter.parts)).strip()


class _MarkdownWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list[int]] = []
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        match tag:
            case "strong" | "b":
                self.parts.append("**")
            case "em" | "i":
                self.parts.append("*")
            case "br":
                self.parts.append("\n")
            case "p":
                self.parts.append("\n\n")
            case "ul" | "ol":
                # A list item starts its own line; a list that is not nested gets a blank line.
                self.lists.append([] if tag == "ul" else [0])
                self.parts.append("\n\n" if len(self.lists) == 1 else "")
            case "li":
                self._list_item()
            case "a":
                href = _link_target(dict(attrs).get("href"))
                self.links.append(href)
                self.parts.append("[" if href else "")
            case _:
                self.parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        match tag:
            case "strong" | "b":
                self.parts.append("**")
            case "em" | "i":
                self.parts.append("*")
            case "p":
                self.parts.append("\n\n")
            case "ul" | "ol":
                if self.lists:
                    self.lists.pop()
                self.parts.append("\n\n" if not self.lists else "")
            case "li" | "br":
                pass
            case "a":
                href = self.links.pop() if self.links else None
                self.parts.append(f"]({href})" if href else "")
            case _:
                self.parts.append(f"</{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        else:
            self.parts.append(self.get_starttag_text() or "")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def _list_item(self) -> None:
        depth = max(len(self.lists) - 1, 0)
        indent = "  " * depth
        if self.lists and self.lists[-1]:
            self.lists[-1][0] += 1
            self.parts.append(f"\n{indent}{self.lists[-1][0]}. ")
        else:
            self.parts.append(f"\n{indent}- ")


def _link_target(href: str | None) -> str | None:
    """Return `href` as a Markdown link target, or None for a link that Heliograph would not
    show: one that is not http, https or mailto, such as javascript: or a relative path."""
    if href is None:
        return None
    # Browsers drop tabs and line breaks from addresses (WHATWG URL standard).
    href = href.strip().translate(_URL_DROPPED)
    if not href.lower().startswith(("http://", "https://", "mailto:")):
        return None
    # Markdown ends a link target at a space or an unbalanced parenthesis.
    return href.translate(_LINK_ESCAPES)


def clean_text(text: str, *, max_length: int, multiline: bool = True) -> tuple[str, list[str]]:
    """Return `text` without the characters the domain rejects, cut to `max_length`.

    The second value lists what was changed, in words, for the import's report.
    """
    changes = []
    allowed = "\n\r\t" if multiline else ""
    if not multiline:
        text = _SPACES.sub(" ", text)
    removed = [char for char in text if (
        (unicodedata.category(char) == "Cc" and char not in allowed) or char in _BIDI_CONTROLS
    )]
    if removed:
        text = "".join(char for char in text if char not in removed)
        changes.append(f"removed {len(removed)} control character(s)")
    text = text.strip()
    if len(text) > max_length:
        changes.append(f"cut from {len(text)} to {max_length} characters")
        text = text[: max_length - 1].rstrip() + "…"
    return text, changes
