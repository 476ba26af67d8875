"""The SVG allowlist of uploaded logos, unit by unit."""

from __future__ import annotations

import pytest

from heliograph.console.svg import MAX_ELEMENTS, UnsafeSvg, sanitise

SVG_OPEN = b'<svg xmlns="http://www.w3.org/2000/svg">'


def test_sanitise_keeps_local_references() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
           b'<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>'
           b'</defs><rect fill="url(#g)"/><use xlink:href="#g"/></svg>')

    out = sanitise(svg).decode()

    assert 'fill="url(#g)"' in out
    assert '<use href="#g"></use>' in out


def test_sanitise_keeps_safe_style_sheet() -> None:
    out = sanitise(SVG_OPEN + b"<style>.a > rect { fill: #f00 }</style></svg>").decode()

    assert "<style>.a &gt; rect { fill: #f00 }</style>" in out


@pytest.mark.parametrize("css", [b"@import url(https://evil.example/a.css);",
                                 b"rect { fill: url(https://evil.example/a) }",
                                 b"rect { background: \\75rl(x) }"])
def test_sanitise_rejects_loading_style_sheet(css: bytes) -> None:
    with pytest.raises(UnsafeSvg):
        sanitise(SVG_OPEN + b"<style>" + css + b"</style></svg>")


def test_sanitise_drops_unknown_style_properties() -> None:
    out = sanitise(SVG_OPEN + b'<rect style="fill:red; position:fixed; top:0"/></svg>').decode()

    assert 'style="fill:red"' in out


def test_sanitise_finds_script_in_dropped_element() -> None:
    svg = SVG_OPEN + b"<filter><script>alert(1)</script></filter></svg>"

    with pytest.raises(UnsafeSvg, match="<script> element"):
        sanitise(svg)


def test_sanitise_drops_foreign_namespace_elements() -> None:
    svg = (SVG_OPEN + b'<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'
           b"<rect/></svg>")

    out = sanitise(svg).decode()

    assert "script" not in out
    assert "alert" not in out
    assert "<rect></rect>" in out


def test_sanitise_escapes_text() -> None:
    out = sanitise(SVG_OPEN + b"<text>a &lt;b&gt; &amp; c</text></svg>").decode()

    assert "<text>a &lt;b&gt; &amp; c</text>" in out


def test_sanitise_rejects_javascript_url_attribute() -> None:
    with pytest.raises(UnsafeSvg, match="javascript: URL"):
        sanitise(SVG_OPEN + b'<rect fill="javascript:alert(1)"/></svg>')


def test_sanitise_rejects_root_without_namespace() -> None:
    with pytest.raises(UnsafeSvg, match="root element"):
        sanitise(b"<svg><rect/></svg>")


def test_sanitise_rejects_html_root() -> None:
    with pytest.raises(UnsafeSvg, match="root element"):
        sanitise(b'<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>')


def test_sanitise_rejects_non_utf8() -> None:
    with pytest.raises(UnsafeSvg, match="UTF-8"):
        sanitise('<svg xmlns="http://www.w3.org/2000/svg"><text>é</text></svg>'.encode("utf-16"))


def test_sanitise_rejects_malformed_xml() -> None:
    with pytest.raises(UnsafeSvg, match="not well-formed"):
        sanitise(SVG_OPEN + b"<rect></svg>")


def test_sanitise_rejects_too_many_elements() -> None:
    svg = SVG_OPEN + b"<rect/>" * (MAX_ELEMENTS + 1) + b"</svg>"

    with pytest.raises(UnsafeSvg, match="more than"):
        sanitise(svg)
