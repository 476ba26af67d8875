"""Check an uploaded SVG logo and rebuild it from an allowlist of elements and attributes.

An SVG opened on its own runs its scripts, so an uploaded one must not carry any. Anything
that can run code or load another resource is rejected with a message that names it:
scripts, event-handler attributes, `foreignObject`, links, animations, embedded images, and
references outside the document (`href` or `url()` not starting with "#"). Other elements
and attributes outside the allowlist, such as an editor's metadata, are dropped. The output
is written by this module, so nothing the parser tolerated but the allowlist does not name
reaches it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

MAX_ELEMENTS = 10_000
MAX_DEPTH = 64

# Elements copied to the output; attributes are checked against ATTRIBUTES.
ELEMENTS = frozenset({
    "svg", "g", "defs", "title", "desc", "symbol", "use", "path", "rect", "circle", "ellipse",
    "line", "polyline", "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop",
    "clipPath", "mask", "pattern", "marker", "style",
})
# Rejected, because they can run code, navigate, or load other resources.
FORBIDDEN_ELEMENTS = {
    "script": "a <script> element",
    "foreignObject": "a <foreignObject> element, which can hold HTML",
    "a": "a link (<a> element)",
    "image": "an embedded image (<image> element)",
    "feImage": "an embedded image (<feImage> element)",
    "iframe": "an <iframe> element",
    "embed": "an <embed> element",
    "object": "an <object> element",
    "animate": "an animation (<animate> element)",
    "set": "an animation (<set> element)",
    "animateMotion": "an animation (<animateMotion> element)",
    "animateTransform": "an animation (<animateTransform> element)",
    "handler": "an event handler (<handler> element)",
    "listener": "an event listener (<listener> element)",
}
ATTRIBUTES = frozenset({
    "id", "class", "style", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2",
    "cx", "cy", "r", "rx", "ry", "fx", "fy", "d", "points", "transform", "version",
    "preserveAspectRatio", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
    "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
    "stroke-dasharray", "stroke-dashoffset", "opacity", "clip-path", "clip-rule", "mask",
    "display", "visibility", "color", "offset", "stop-color", "stop-opacity", "gradientUnits",
    "gradientTransform", "spreadMethod", "clipPathUnits", "maskUnits", "maskContentUnits",
    "patternUnits", "patternContentUnits", "patternTransform", "markerWidth", "markerHeight",
    "markerUnits", "refX", "refY", "orient", "marker-start", "marker-mid", "marker-end",
    "font-family", "font-size", "font-weight", "font-style", "text-anchor",
    "dominant-baseline", "letter-spacing", "word-spacing", "dx", "dy", "rotate",
    "textLength", "lengthAdjust", "href", "type", "media",
})
# CSS properties kept in `style` attributes; other declarations are dropped.
CSS_PROPERTIES = frozenset({
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
    "stroke-dashoffset", "opacity", "clip-path", "clip-rule", "mask", "display", "visibility",
    "color", "stop-color", "stop-opacity", "font-family", "font-size", "font-weight",
    "font-style", "text-anchor", "dominant-baseline", "letter-spacing", "word-spacing",
    "mix-blend-mode", "isolation", "paint-order", "vector-effect", "shape-rendering",
})
_URL = re.compile(r"url\s*\(\s*(['\"]?)(?P<target>[^)'\"]*)\1\s*\)", re.IGNORECASE)
# Constructs that let CSS fetch or run something, or hide a name behind escapes.
_UNSAFE_CSS = re.compile(r"@import|expression\s*\(|javascript:|\\|<|behavior\s*:|-moz-binding",
                         re.IGNORECASE)
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeSvg(ValueError):
    """An SVG that is malformed or contains something that can run code or load a resource."""


def sanitise(data: bytes) -> bytes:
    """Return `data`, an SVG document, rebuilt from the allowlist; raise `UnsafeSvg`."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeSvg("The SVG is not UTF-8 text: save it with UTF-8 encoding.") from None
    if _DTD.search(data):
        raise UnsafeSvg("The SVG contains a DOCTYPE or ENTITY declaration, which logos may not "
                        "use: remove it.")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD, so no entity expansion
    except ET.ParseError as error:
        raise UnsafeSvg(f"The file is not well-formed SVG ({error}): export it again from "
                        "your drawing program.") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise UnsafeSvg('The file\'s root element is not <svg xmlns="http://www.w3.org/2000/svg">: '
                        "upload an SVG image.")
    _check_size(root)
    counter = [0]
    body = _element(root, depth=0, counter=counter)
    assert body is not None
    return body.encode("utf-8")


# The largest width or height an SVG logo may declare, in CSS pixels; the same as for PNG.
MAX_SIDE = 2048
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*")


def _check_size(root: ET.Element) -> None:
    """Reject an SVG whose declared width or height is larger than `MAX_SIDE` pixels."""
    for name in ("width", "height"):
        value = root.get(name)
        if value is None:
            continue
        match = _LENGTH.fullmatch(value)
        if match is not None and float(match[1]) > MAX_SIDE:
            raise UnsafeSvg(f"The SVG declares a {name} of {value.strip()}: logos may be at most "
                            f"{MAX_SIDE} pixels on each side; set a smaller {name} or remove it "
                            "and keep the viewBox.")


def _element(node: ET.Element, *, depth: int, counter: list[int]) -> str | None:
    counter[0] += 1
    if counter[0] > MAX_ELEMENTS:
        raise UnsafeSvg(f"The SVG has more than {MAX_ELEMENTS} elements: simplify the drawing.")
    if depth > MAX_DEPTH:
        raise UnsafeSvg(f"The SVG nests elements more than {MAX_DEPTH} deep: simplify it.")
    namespace, name = _split(node.tag)
    if name in FORBIDDEN_ELEMENTS and namespace in (SVG_NS, ""):
        raise UnsafeSvg(f"The SVG contains {FORBIDDEN_ELEMENTS[name]}, which logos may not "
                        "use: remove it, or upload a PNG instead.")
    if namespace != SVG_NS or name not in ELEMENTS:
        _reject_hidden(node)
        return None

    attributes = _attributes(node, name)
    if depth == 0:
        attributes.insert(0, ("xmlns", SVG_NS))
    parts = [f"<{name}", *(f" {key}={quoteattr(value)}" for key, value in attributes), ">"]
    if name == "style":
        parts.append(escape(_style_sheet(node.text or "")))
    elif node.text:
        parts.append(escape(node.text))
    for child in node:
        rendered = _element(child, depth=depth + 1, counter=counter)
        if rendered is not None:
            parts.append(rendered)
        if child.tail:
            parts.append(escape(child.tail))
    parts.append(f"</{name}>")
    return "".join(parts)


def _reject_hidden(node: ET.Element) -> None:
    """Reject forbidden elements even inside a dropped subtree, so the message names them."""
    for inner in node.iter():
        namespace, name = _split(inner.tag)
        if name in FORBIDDEN_ELEMENTS and namespace in (SVG_NS, ""):
            raise UnsafeSvg(f"The SVG contains {FORBIDDEN_ELEMENTS[name]}, which logos may not "
                            "use: remove it, or upload a PNG instead.")
        for key in inner.attrib:
            if _split(key)[1].lower().startswith("on"):
                raise UnsafeSvg(f"The SVG has an event-handler attribute ({_split(key)[1]}), "
                                "which can run scripts: remove it.")


def _attributes(node: ET.Element, element: str) -> list[tuple[str, str]]:
    kept: list[tuple[str, str]] = []
    for key, value in node.attrib.items():
        namespace, name = _split(key)
        if name.lower().startswith("on"):
            raise UnsafeSvg(f"The SVG has an event-handler attribute ({name}) on <{element}>, "
                            "which can run scripts: remove it.")
        if name == "href" and namespace in ("", XLINK_NS):
            kept.append(("href", _local_reference(value, element)))
            continue
        if namespace == XML_NS and name == "space":
            kept.append(("xml:space", value))
            continue
        if namespace or name not in ATTRIBUTES:
            continue
        if "javascript:" in value.lower().replace(" ", ""):
            raise UnsafeSvg(f"The SVG has a javascript: URL in {name} on <{element}>: remove it.")
        _check_urls(value, f"{name} on <{element}>")
        if name == "style":
            value = _style_attribute(value, element)
            if not value:
                continue
        kept.append((name, value))
    return kept


def _local_reference(value: str, element: str) -> str:
    if not value.strip().startswith("#"):
        raise UnsafeSvg(f"The SVG refers to {value[:80]!r} from <{element}>: a logo may only "
                        "refer to parts of itself (#id). Embed the resource or remove the "
                        "reference.")
    return value.strip()


def _check_urls(value: str, where: str) -> None:
    for match in _URL.finditer(value):
        if not match["target"].strip().startswith("#"):
            raise UnsafeSvg(f"The SVG loads {match['target'][:80]!r} through url() in {where}: "
                            "a logo may only refer to parts of itself (url(#id)).")


def _style_attribute(value: str, element: str) -> str:
    if _UNSAFE_CSS.search(value):
        raise UnsafeSvg(f"The style attribute of <{element}> uses CSS that can load or run "
                        "something (@import, expression, escapes): remove it.")
    declarations = []
    for declaration in value.split(";"):
        prop, _, prop_value = declaration.partition(":")
        prop = prop.strip().lower()
        if prop in CSS_PROPERTIES and prop_value.strip():
            declarations.append(f"{prop}:{prop_value.strip()}")
    return ";".join(declarations)


def _style_sheet(text: str) -> str:
    if _UNSAFE_CSS.search(text):
        raise UnsafeSvg("The SVG's <style> element uses CSS that can load or run something "
                        "(@import, expression, escapes): remove it.")
    _check_urls(text, "the <style> element")
    return text


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag
