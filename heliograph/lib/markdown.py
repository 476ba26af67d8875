"""Render the Markdown of event texts and descriptions into safe HTML.

Authors write CommonMark (with ~~strikethrough~~); single newlines become line breaks, because
status updates are typed as plain text. Two layers keep the output safe:

1. markdown-it-py runs with raw HTML off, so `<script>` in a text is shown as text, and it
   refuses `javascript:`, `vbscript:` and `file:` link targets.
2. nh3 then keeps only the tags and attributes below, links only to http, https and mailto
   (relative links are dropped too: a text may be shown on several hosts), and gives every link
   `rel="nofollow noopener"`.

Images are never embedded: `![alt](url)` becomes a link to the image with its alt text, so a
text cannot load tracking pixels or huge files into the page, and no information is lost.
Headings become bold paragraphs, so an event text cannot break the page's heading outline.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

ALLOWED_TAGS = frozenset({
    "a", "blockquote", "br", "code", "del", "em", "hr", "li", "ol", "p", "pre", "s", "strong",
    "ul",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

_WHITESPACE = re.compile(r"\s+")


def _image_as_link(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    options: OptionsDict,
    env: Any,
) -> str:
    token = tokens[index]
    source = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    label = alt or source
    return f'<a href="{html.escape(source)}">{html.escape(label)}</a>'


def _heading_open(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: Any
) -> str:
    return "<p><strong>"


def _heading_close(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: Any
) -> str:
    return "</strong></p>\n"


def _build_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    parser.enable("strikethrough")
    parser.add_render_rule("image", _image_as_link)
    parser.add_render_rule("heading_open", _heading_open)
    parser.add_render_rule("heading_close", _heading_close)
    return parser


_PARSER = _build_parser()
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    link_rel=LINK_REL,
)
_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"})


def render(text: str) -> str:
    """Return the sanitised HTML of a Markdown text; the caller may mark it safe."""
    return _CLEANER.clean(_PARSER.render(text))


def plain_text(text: str) -> str:
    """Return the words of a Markdown text without markup, whitespace collapsed to spaces."""
    words = html.unescape(_TEXT_ONLY.clean(_PARSER.render(text)))
    return _WHITESPACE.sub(" ", words).strip()


def excerpt(text: str, limit: int = 200) -> str:
    """Return the start of a Markdown text as plain text, at most `limit` characters.

    A longer text is cut at the last word boundary before the limit and ends with "…". A
    single word longer than the limit is cut inside the word.
    """
    words = plain_text(text)
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    if words[limit - 1] != " ":
        boundary = cut.rfind(" ")
        if boundary > 0:
            cut = cut[:boundary]
    return cut.rstrip(" ,;:.-\N{EN DASH}\N{EM DASH}") + "\N{HORIZONTAL ELLIPSIS}"
