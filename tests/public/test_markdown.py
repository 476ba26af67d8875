"""Markdown of event texts: rendered, then sanitised to a short list of tags and schemes."""

from __future__ import annotations

import pytest

from heliograph.lib.markdown import excerpt, plain_text, render


def test_markdown_basic_formatting() -> None:
    html = render("**bold** *em* `code` ~~gone~~\n\n- one\n- two")

    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<code>code</code>" in html
    assert "<s>gone</s>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html


def test_markdown_single_newline_is_line_break() -> None:
    assert render("first\nsecond") == "<p>first<br>\nsecond</p>\n"


def test_markdown_link_gets_rel() -> None:
    html = render("[docs](https://docs.example/a?b=1&c=2)")

    assert html == (
        '<p><a href="https://docs.example/a?b=1&amp;c=2" rel="nofollow noopener">docs</a></p>\n'
    )


def test_markdown_mailto_link_kept() -> None:
    assert 'href="mailto:ops@example.com"' in render("[mail us](mailto:ops@example.com)")


@pytest.mark.parametrize("target", [
    "javascript:alert(1)", "JavaScript:alert(1)", "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd", "ftp://files.example/",
    "/relative/path", "//evil.example/x",
])
def test_markdown_link_scheme_rejected(target: str) -> None:
    html = render(f"[x]({target})")

    assert "href" not in html


def test_markdown_raw_html_shown_as_text() -> None:
    html = render("<script>alert(1)</script> <iframe src=x></iframe> <b onclick=x>b</b>")

    assert "<script" not in html
    assert "<iframe" not in html
    assert "<b" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_markdown_image_becomes_link() -> None:
    html = render("![graph of errors](https://img.example/graph.png)")

    assert "<img" not in html
    assert html == (
        '<p><a href="https://img.example/graph.png" rel="nofollow noopener">'
        "graph of errors</a></p>\n"
    )


def test_markdown_image_without_alt_shows_url() -> None:
    assert ">https://img.example/a.png</a>" in render("![](https://img.example/a.png)")


def test_markdown_image_with_bad_scheme_loses_target() -> None:
    html = render("![x](data:image/png;base64,AAAA)")

    assert "href" not in html
    assert "data:" not in html


def test_markdown_heading_becomes_bold_paragraph() -> None:
    assert render("# Impact") == "<p><strong>Impact</strong></p>\n"


def test_markdown_plain_text_strips_markup() -> None:
    assert plain_text("**Bold** and [link](https://x.example) & <tag>") == (
        "Bold and link & <tag>"
    )


def test_markdown_excerpt_short_text_unchanged() -> None:
    assert excerpt("Short text.", 200) == "Short text."


def test_markdown_excerpt_cuts_at_word_boundary() -> None:
    text = "alpha beta gamma delta epsilon"

    assert excerpt(text, 17) == "alpha beta gamma…"
    assert excerpt(text, 16) == "alpha beta…"


def test_markdown_excerpt_long_word_cut_inside() -> None:
    assert excerpt("x" * 50, 10) == "x" * 9 + "…"


def test_markdown_excerpt_drops_trailing_punctuation() -> None:
    assert excerpt("We start at ten, then continue", 17) == "We start at ten…"
