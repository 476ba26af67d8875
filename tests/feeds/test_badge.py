"""The SVG badge of a page and of one service, and the `/embed` page for an `<iframe>`."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.domain import maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import State
from heliograph.public import badge
from heliograph.public.presenter import PALETTES, contrast_ratio
from tests.public.conftest import NOW
from tests.public.dom import parse

SVG = "{http://www.w3.org/2000/svg}"


def parse_badge(response: Any) -> ET.Element:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 - raises on any XML error
    assert root.tag == f"{SVG}svg"
    assert root.attrib["role"] == "img"
    return root


def badge_title(root: ET.Element) -> str:
    return root.findtext(f"{SVG}title") or ""


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def fills(root: ET.Element) -> list[str]:
    return [element.attrib["fill"] for element in root.iter(f"{SVG}rect")
            if "fill" in element.attrib]


def test_page_badge_when_operational(page: Page, get: Callable[..., Any]) -> None:
    root = parse_badge(get("/badge.svg"))

    assert badge_title(root) == "Acme: Operational"
    assert root.attrib["aria-label"] == "Acme: Operational"
    assert texts(root) == ["Acme", "Operational"]
    colours = PALETTES["light"].states["operational"]
    assert fills(root)[-1] == colours.banner
    assert root.findall(f".//{SVG}text")[1].attrib["fill"] == colours.on_banner


@pytest.mark.parametrize("state", [State.DEGRADED_PERFORMANCE, State.PARTIAL_OUTAGE,
                                   State.MAJOR_OUTAGE])
def test_page_badge_takes_incident_state(state: State, page: Page,
                                         open_incident: Callable[..., Incident],
                                         get: Callable[..., Any]) -> None:
    open_incident(state=state)

    root = parse_badge(get("/badge.svg"))

    assert texts(root)[1] == state.label
    assert fills(root)[-1] == PALETTES["light"].states[state.value].banner


def test_service_badge_shows_service_state(page: Page, add_service: Callable[..., Service],
                                           open_incident: Callable[..., Incident],
                                           get: Callable[..., Any]) -> None:
    api, web = add_service("API"), add_service("Web")
    open_incident(services=[api], state=State.MAJOR_OUTAGE)

    api_badge = parse_badge(get(f"/badge.svg?service={api.pk}"))
    web_badge = parse_badge(get(f"/badge.svg?service={web.pk}"))

    assert badge_title(api_badge) == "API: Major outage"
    assert fills(api_badge)[-1] == PALETTES["light"].states["major_outage"].banner
    assert badge_title(web_badge) == "Web: Operational"


def test_service_badge_under_maintenance(page: Page, actor: Actor,
                                         add_service: Callable[..., Service],
                                         schedule: Callable[..., Maintenance],
                                         get: Callable[..., Any]) -> None:
    api = add_service("API")
    maintenance = schedule(NOW - dt.timedelta(minutes=5), NOW + dt.timedelta(hours=1),
                           services=[api])
    maintenances.post_event(maintenance, text="Started.", actor=actor)

    root = parse_badge(get(f"/badge.svg?service={api.pk}"))

    assert badge_title(root) == "API: Under maintenance"
    assert fills(root)[-1] == PALETTES["light"].states["under_maintenance"].banner


def test_every_badge_colour_pair_is_readable() -> None:
    for key, colours in PALETTES["light"].states.items():
        assert contrast_ratio(colours.banner, colours.on_banner) >= 4.5, key
    assert contrast_ratio(badge.LABEL_BACKGROUND, badge.LABEL_TEXT) >= 4.5


def test_badge_width_follows_text(page: Page, actor: Actor, get: Callable[..., Any]) -> None:
    short = parse_badge(get("/badge.svg"))
    pages.update_page(page, {"title": "Acme Corporation Worldwide"}, actor=actor)
    long = parse_badge(get("/badge.svg"))

    assert int(long.attrib["width"]) > int(short.attrib["width"]) + 100
    label = long.findall(f".//{SVG}text")[0]
    assert int(label.attrib["textLength"]) == badge.text_width("Acme Corporation Worldwide")


def test_badge_cuts_long_names(page: Page, add_service: Callable[..., Service],
                               get: Callable[..., Any]) -> None:
    service = add_service("S" * 100)

    root = parse_badge(get(f"/badge.svg?service={service.pk}"))

    label = texts(root)[0]
    assert len(label) == badge.TEXT_MAX
    assert label.endswith("\N{HORIZONTAL ELLIPSIS}")


def test_badge_escapes_text(page: Page, add_service: Callable[..., Service],
                            get: Callable[..., Any]) -> None:
    service = add_service('Störung & <Wartung> "x" \'y\'')

    response = get(f"/badge.svg?service={service.pk}")
    root = parse_badge(response)

    assert texts(root)[0] == 'Störung & <Wartung> "x" \'y\''
    assert b"<Wartung>" not in response.content
    assert [element.tag for element in root.iter()].count(f"{SVG}text") == 2


def test_char_width_of_marks_and_wide_characters() -> None:
    assert badge.char_width("\u0301") == 0
    assert badge.char_width("数") > badge.char_width("a") > badge.char_width("i")
    assert badge.text_width("e\u0301") == badge.text_width("e")


@given(st.text(max_size=200))
def test_any_text_makes_wellformed_badge(text: str) -> None:
    sample = badge.Badge(badge.badge_text(text), "Operational", "operational")

    root = ET.fromstring(badge.badge_svg(sample))  # noqa: S314

    assert root.findtext(f"{SVG}title") == f"{sample.label}: Operational"
    assert len(sample.label) <= badge.TEXT_MAX
    assert "\n" not in sample.label


@pytest.mark.parametrize("value", ["x", "-1", "1.5", "١٢", "9" * 30, ""])
def test_badge_rejects_bad_service_parameter(value: str, page: Page,
                                             get: Callable[..., Any]) -> None:
    response = get(f"/badge.svg?service={value}")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "service parameter" in response.content.decode()
    assert "?service=12" in response.content.decode()


def test_badge_takes_largest_possible_id(page: Page, get: Callable[..., Any]) -> None:
    """Ids fit a signed 64-bit integer, so 2**63 - 1 is an id that this page does not have."""
    largest = get(f"/badge.svg?service={2**63 - 1}")
    beyond = get(f"/badge.svg?service={2**63}")

    assert largest.status_code == 404
    assert f"This page has no service {2**63 - 1}." in largest.content.decode()
    assert beyond.status_code == 400
    assert "service parameter" in beyond.content.decode()


def test_badge_of_unknown_service_is_not_found(page: Page, make_page: Callable[..., Page],
                                               add_service: Callable[..., Service],
                                               get: Callable[..., Any]) -> None:
    other = make_page("beta", title="Beta")
    theirs = add_service("Beta API", on=other)

    foreign = get(f"/badge.svg?service={theirs.pk}")
    missing = get("/badge.svg?service=999999")

    assert foreign.status_code == 404
    assert b"Beta" not in foreign.content
    assert missing.status_code == 404
    assert "This page has no service 999999." in missing.content.decode()


def test_badge_answers_304_until_change(page: Page, open_incident: Callable[..., Incident],
                                        get: Callable[..., Any]) -> None:
    first = get("/badge.svg")

    unchanged = get("/badge.svg", HTTP_IF_NONE_MATCH=first["ETag"])
    open_incident()
    changed = get("/badge.svg", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Cache-Control"] == "public, max-age=60"
    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert badge_title(parse_badge(changed)) == "Acme: Partial outage"


def test_service_badges_have_own_etags(page: Page, add_service: Callable[..., Service],
                                       get: Callable[..., Any]) -> None:
    api = add_service("API")

    page_etag = get("/badge.svg")["ETag"]
    service_etag = get(f"/badge.svg?service={api.pk}")["ETag"]

    assert page_etag != service_etag


def test_badge_follows_page_language(page: Page, actor: Actor, get: Callable[..., Any]) -> None:
    pages.update_page(page, {"language": "de"}, actor=actor)

    root = parse_badge(get("/badge.svg"))

    assert texts(root)[1] == "Betriebsbereit"


# --- Embed ---------------------------------------------------------------------------------


def test_embed_page_shows_state_without_script(page: Page,
                                               open_incident: Callable[..., Incident],
                                               get: Callable[..., Any]) -> None:
    open_incident("API errors", state=State.MAJOR_OUTAGE)

    response = get("/embed")
    dom = parse(response.content)

    assert response.status_code == 200
    assert dom.find_all("script") == []
    link = dom.one("a", cls="embed")
    assert link.attrs["href"] == "http://acme.localhost/"
    assert link.attrs["target"] == "_blank"
    assert "noopener" in link.attrs["rel"]
    assert "s-major_outage" in link.classes
    assert link.one(cls="title").text() == "Major outage · Acme"
    assert link.one(cls="message").text() == "API errors"


def test_embed_page_may_be_framed(page: Page, get: Callable[..., Any]) -> None:
    response = get("/embed")

    assert "X-Frame-Options" not in response
    assert "frame-ancestors" not in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_other_views_refuse_frames(page: Page, get: Callable[..., Any]) -> None:
    assert get("/")["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("query", "theme"), [("", "auto"), ("?theme=dark", "dark"),
                                              ("?theme=light", "light")])
def test_embed_theme_parameter(query: str, theme: str, page: Page,
                               get: Callable[..., Any]) -> None:
    dom = parse(get(f"/embed{query}").content)

    assert dom.one("html").attrs["data-theme"] == theme


def test_embed_rejects_unknown_theme(page: Page, get: Callable[..., Any]) -> None:
    response = get("/embed?theme=neon")

    assert response.status_code == 400
    assert "theme parameter “neon”" in response.content.decode()
    assert "light, dark or auto" in response.content.decode()


def test_embed_answers_304_to_its_etag(page: Page, get: Callable[..., Any]) -> None:
    first = get("/embed?theme=dark")

    again = get("/embed?theme=dark", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert first["ETag"] != get("/embed")["ETag"]
