"""Checks that hostile text stayed text: in HTML, XML, iCalendar, JSON and plain text.

HTML is read with the standard library's tokenizer, which splits tags and attributes the way
a browser's tokenizer does for the markup our templates produce. A page full of payloads is
compared with the same page full of harmless text: it may not hold more elements that run or
load something, nor a tag-and-attribute pair that the harmless page lacks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from tests.xss.corpus import EVIL_HOST, SCRIPT_SCHEMES

# Elements that run, load or restyle something, or change how the rest of the page is read.
ACTIVE_TAGS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "img",
    "image", "svg", "math", "video", "audio", "source", "track", "picture", "link", "meta",
    "base", "form", "input", "button", "textarea", "select", "details", "template",
    "noscript", "title", "body", "html", "head", "xmp", "plaintext", "marquee", "portal",
    "foreignobject", "set", "animate", "use",
})
URL_ATTRIBUTES = frozenset({
    "href", "src", "srcset", "action", "formaction", "xlink:href", "poster", "data",
    "background", "ping", "srcdoc", "codebase", "cite", "manifest",
})
# Attributes through which a URL is fetched when the element is shown (not only followed).
LOADING_ATTRIBUTES = URL_ATTRIBUTES - {"href", "cite"}
# What sanitised Markdown may add to a page: see heliograph/lib/markdown.py.
MARKDOWN_PAIRS = frozenset({
    ("a", "href"), ("a", "title"), ("a", "rel"), ("ol", "start"), ("p", ""), ("a", ""),
    ("br", ""), ("code", ""), ("del", ""), ("em", ""), ("strong", ""), ("pre", ""),
    ("blockquote", ""), ("ul", ""), ("ol", ""), ("li", ""), ("hr", ""), ("s", ""),
})
_SCHEME_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def scheme_of(value: str) -> str:
    """Return a URL's scheme the way browsers read it: controls and spaces removed, lower case."""
    cleaned = _SCHEME_NOISE.sub("", value).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", cleaned)
    return f"{match.group(1)}:" if match else ""


@dataclass
class Markup:
    """The elements of an HTML document: counts by tag, tag-attribute pairs, and findings."""

    tags: Counter[str] = field(default_factory=Counter)
    pairs: set[tuple[str, str]] = field(default_factory=set)
    findings: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self, markup: Markup, own_scripts: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.markup = markup
        self.own_scripts = own_scripts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.markup.tags[tag] += 1
        self.markup.pairs.add((tag, ""))
        for name, value in attrs:
            self.markup.pairs.add((tag, name))
            text = value or ""
            if name.startswith("on"):
                self.markup.findings.append(f"<{tag} {name}={text[:60]!r}>")
            if name in URL_ATTRIBUTES and scheme_of(text) in SCRIPT_SCHEMES:
                self.markup.findings.append(f"<{tag} {name}={text[:60]!r}>")
            if name in LOADING_ATTRIBUTES and EVIL_HOST in text:
                self.markup.findings.append(f"<{tag} {name}={text[:60]!r}> loads {EVIL_HOST}")
            if tag in {"link", "base"} and name == "href" and EVIL_HOST in text:
                self.markup.findings.append(f"<{tag} {name}={text[:60]!r}>")
            if name == "http-equiv" and text.lower() == "refresh":
                self.markup.findings.append(f"<{tag} http-equiv=refresh>")
        if tag == "script":
            source = dict(attrs).get("src") or ""
            kind = (dict(attrs).get("type") or "").lower()
            if source and not source.startswith(self.own_scripts):
                self.markup.findings.append(f"<script src={source[:60]!r}>")
            if not source and kind not in {"application/json", "application/ld+json"}:
                self.markup.findings.append("inline <script>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.markup.text.append(data)


def read_html(markup: str, own_scripts: tuple[str, ...] = ("/static/",)) -> Markup:
    """Return the elements of `markup`, with findings for scripts not loaded from `own_scripts`."""
    result = Markup()
    reader = _Reader(result, own_scripts)
    reader.feed(markup)
    reader.close()
    return result


def compare_html(hostile: Markup, harmless: Markup) -> list[str]:
    """Return what the hostile page has and the harmless one lacks, with absolute findings."""
    problems = list(hostile.findings)
    for tag in sorted(ACTIVE_TAGS):
        if hostile.tags[tag] > harmless.tags[tag]:
            problems.append(f"{hostile.tags[tag]} <{tag}> where the harmless page has "
                            f"{harmless.tags[tag]}")
    for pair in sorted(hostile.pairs - harmless.pairs - MARKDOWN_PAIRS):
        problems.append(f"new tag or attribute {pair}")
    return problems


def fragment_problems(markup: str) -> list[str]:
    """Return the active elements and attributes of sanitised HTML, as in a feed's content."""
    read = read_html(markup, own_scripts=())
    problems = list(read.findings)
    problems += [f"<{tag}>" for tag in sorted(ACTIVE_TAGS) if read.tags[tag]]
    problems += [f"attribute {pair}" for pair in sorted(read.pairs - MARKDOWN_PAIRS)]
    return problems
