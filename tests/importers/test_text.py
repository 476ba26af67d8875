"""Texts brought within Heliograph's rules: HTML turned into Markdown, control characters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.domain.errors import InvalidValue
from heliograph.domain.validation import check_text
from heliograph.importers.text import clean_text, html_to_markdown, is_blank
from heliograph.lib.markdown import render


@pytest.mark.parametrize(("source", "expected"), [
    ("<ul><li><strong>10:00</strong> - Down.</li><li><strong>10:40</strong> - Up.</li></ul>",
     "- **10:00** - Down.\n- **10:40** - Up."),
    ("<b>Start Time:</b> March 4, 2022 18:00 UTC", "**Start Time:** March 4, 2022 18:00 UTC"),
    ('Raise a ticket at <a href="https://example.com/help">HELP</a> please.',
     "Raise a ticket at [HELP](https://example.com/help) please."),
    ("First line<br>second line<br/>third", "First line\nsecond line\nthird"),
    ("<p>One.</p><p>Two &amp; three.</p>", "One.\n\nTwo & three."),
    ("<ol><li>Stop</li><li>Start</li></ol>", "1. Stop\n2. Start"),
    ("<i>Note:</i> slow", "*Note:* slow"),
    ("<ul><li>Outer<ul><li>inner</li></ul></li></ul>", "- Outer\n  - inner"),
    ('<b>Hi</b> <a href="javascript:alert(1)">here</a>', "**Hi** here"),
    ('<b>Hi</b> <a href="/incidents/1">there</a>', "**Hi** there"),
    ('<a href=" https://example.com/a b_(c)\n">link</a>',
     "[link](https://example.com/a%20b_%28c%29)"),
    ('<a href="mailto:ops@example.com">mail</a>', "[mail](mailto:ops@example.com)"),
])
def test_html_becomes_markdown(source: str, expected: str) -> None:
    assert html_to_markdown(source) == expected


@pytest.mark.parametrize("plain", [
    "Some <some functionality> is unavailable.",
    "Errors for a < b and c > d, &amp; more.",
    "Plain text with **Markdown** already.",
])
def test_text_without_known_tags_unchanged(plain: str) -> None:
    assert html_to_markdown(plain) == plain


def test_unknown_tags_kept_beside_known_ones() -> None:
    converted = html_to_markdown("<b>Impact:</b> <some functionality> fails")

    assert converted == "**Impact:** <some functionality> fails"
    assert "&lt;some functionality&gt;" in render(converted)


@pytest.mark.parametrize(("html", "shown"), [
    ('<b>Hi</b> <a href="https://example.com/a b_(c)">link</a>',
     '<a href="https://example.com/a%20b_%28c%29" rel="nofollow noopener">link</a>'),
    ('<b>Hi</b> <a href="javascript:alert(1)">here</a>', "<strong>Hi</strong> here"),
])
def test_converted_links_render(html: str, shown: str) -> None:
    assert shown in render(html_to_markdown(html))


@pytest.mark.parametrize(("text", "blank"), [
    ("\u200b\u200b", True), (" \t\u00a0", True), ("\u2066\u2069", True), ("a\u200b", False),
    ("\U0001f600", False),
])
def test_blank_texts(text: str, blank: bool) -> None:
    assert is_blank(text) is blank


def test_control_characters_removed() -> None:
    text, changes = clean_text("Bell\x07 and \u202eright-to-left", max_length=100)

    assert text == "Bell and right-to-left"
    assert changes == ["removed 2 control character(s)"]


def test_long_text_cut() -> None:
    text, changes = clean_text("x" * 30, max_length=10)

    assert text == "x" * 9 + "…"
    assert changes == ["cut from 30 to 10 characters"]


def test_single_line_text_joined() -> None:
    text, changes = clean_text("Title\non two\tlines", max_length=100, multiline=False)

    assert text == "Title on two lines"
    assert changes == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.booleans())
def test_cleaned_text_passes_domain_check(raw: str, multiline: bool) -> None:
    text, _ = clean_text(html_to_markdown(raw), max_length=200, multiline=multiline)

    if not text:
        with pytest.raises(InvalidValue):
            check_text(text, field="text", max_length=200, multiline=multiline)
        return
    assert check_text(text, field="text", max_length=200, multiline=multiline) == text
