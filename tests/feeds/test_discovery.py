"""Where readers find the formats: links in the head and footer, and the console's snippets."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest

from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Service
from tests.console.page_support import client_for
from tests.public.dom import Node, parse

ALTERNATES = [
    ("application/atom+xml", "Acme status (Atom)", "/history.atom"),
    ("application/rss+xml", "Acme status (RSS)", "/history.rss"),
    ("text/calendar", "Acme status (iCalendar)", "/maintenances.ics"),
]
SETTINGS = "/console/pages/acme/settings/"


def alternates(dom: Node) -> list[tuple[str, str, str]]:
    head = dom.one("head")
    return [(link.attrs["type"], link.attrs["title"], link.attrs["href"])
            for link in head.find_all("link", rel="alternate")]


@pytest.mark.parametrize("path", ["/", "/history", "/maintenances"])
def test_head_links_the_formats(path: str, page: Page, get_dom: Callable[..., Node]) -> None:
    assert alternates(get_dom(path)) == ALTERNATES


def test_head_links_keep_path_prefix(page: Page, get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/p/acme/", "127.0.0.1")

    assert [href for _, _, href in alternates(dom)] == [
        "/p/acme/history.atom", "/p/acme/history.rss", "/p/acme/maintenances.ics",
    ]


def test_linked_formats_are_served(page: Page, get_dom: Callable[..., Node],
                                   get: Callable[..., Any]) -> None:
    for content_type, _, href in alternates(get_dom("/")):
        response = get(href)

        assert response.status_code == 200, href
        assert response["Content-Type"] == f"{content_type}; charset=utf-8"


def test_footer_links_the_formats(page: Page, get_dom: Callable[..., Node]) -> None:
    footer = get_dom("/").one("nav", cls="footer-nav")

    links = {link.text(): link.attrs["href"] for link in footer.find_all("a")}

    assert links["Atom"] == "/history.atom"
    assert links["RSS"] == "/history.rss"
    assert links["iCalendar"] == "/maintenances.ics"


def test_not_found_without_page_has_no_feed_links(db: None, get: Callable[..., Any]) -> None:
    response = get("/history.atom", "nobody.localhost")
    dom = parse(response.content)

    assert response.status_code == 404
    assert dom.one("head").find_all("link", rel="alternate") == []


def test_hostile_page_title_in_head_links(page: Page, actor: Actor,
                                          get_dom: Callable[..., Node]) -> None:
    pages.update_page(page, {"title": 'Störung & <Wartung> "x"'}, actor=actor)

    titles = [title for _, title, _ in alternates(get_dom("/"))]

    assert titles[0] == 'Störung & <Wartung> "x" status (Atom)'


# --- Console snippets ----------------------------------------------------------------------


def snippet(dom: Node, textarea_id: str) -> Node:
    """Return the HTML a textarea offers for copying, parsed."""
    area = dom.one("textarea", id=textarea_id)
    assert "readonly" in area.attrs
    return parse(area.text().encode())


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_settings_offer_snippets_to_members(role: str, request: pytest.FixtureRequest,
                                            page: Page,
                                            add_service: Callable[..., Service]) -> None:
    api = add_service("API")
    user = request.getfixturevalue(role)

    response = client_for(user).get(SETTINGS)
    dom = parse(response.content)

    assert response.status_code == 200
    badge_link = snippet(dom, "embed-badge").one("a")
    assert badge_link.attrs["href"] == "http://acme.localhost:8000/"
    image = badge_link.one("img")
    assert image.attrs["src"] == "http://acme.localhost:8000/badge.svg"
    assert image.attrs["alt"] == "Acme status"
    frame = snippet(dom, "embed-iframe").one("iframe")
    assert frame.attrs["src"] == "http://acme.localhost:8000/embed"
    assert frame.attrs["title"] == "Acme status"
    section = dom.one("section", id="embed")
    assert f"http://acme.localhost:8000/badge.svg?service={api.pk}" in section.text()


def test_settings_snippets_hidden_from_outsiders(page: Page, outsider: Any) -> None:
    response = client_for(outsider).get(SETTINGS)

    assert response.status_code == 404
    assert b"badge.svg" not in response.content


def test_snippet_escapes_page_title(page: Page, owner: Any, actor: Actor) -> None:
    pages.update_page(page, {"title": '"><script>alert(1)</script>'}, actor=actor)

    response = client_for(owner).get(SETTINGS)
    dom = parse(response.content)
    copied = snippet(dom, "embed-badge")

    assert copied.find_all("script") == []
    assert copied.one("img").attrs["alt"] == '"><script>alert(1)</script> status'
    assert "<script>alert(1)" not in response.content.decode()
    # The copied snippet escapes the title itself, so it stays harmless on the other site.
    assert html.escape('"><script>', quote=True) in dom.one("textarea", id="embed-badge").text()


def test_private_page_snippet_says_why_badge_fails(page: Page, owner: Any,
                                                  actor: Actor) -> None:
    pages.update_page(page, {"is_private": True}, actor=actor)

    response = client_for(owner).get(SETTINGS)
    section = parse(response.content).one("section", id="embed")

    assert "This page is private" in section.text()
    assert section.find_all("img") == []
