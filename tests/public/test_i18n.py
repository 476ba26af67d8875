"""The page's language setting picks the locale of every public view."""

from __future__ import annotations

import ast
import datetime as dt
import gettext
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import heliograph
from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page, Service
from heliograph.domain.vocab import State
from tests.public.conftest import local
from tests.public.dom import Node

LOCALE = Path(heliograph.__file__).parent / "locale"


def po_entries(path: Path) -> list[dict[str, str]]:
    """Return the entries of a .po file as dicts of their keywords (msgid, msgstr[0], ...)."""
    entries: list[dict[str, str]] = []
    current: dict[str, str] = {}
    keyword = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current = {}
            entries.append(current)
        if line.startswith(("msgid", "msgstr")):
            keyword, _, line = line.partition(" ")
            current[keyword] = ""
        if line.startswith('"'):
            current[keyword] += ast.literal_eval(line)
    return [entry for entry in entries if entry["msgid"]]


@pytest.mark.parametrize("language", ["fr", "de"])
def test_compiled_catalogue_matches_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    entries = po_entries(folder / "django.po")

    assert len(entries) > 90
    for entry in entries:
        assert entry.get("msgstr") or entry.get("msgstr[0]"), entry["msgid"]
        if "msgid_plural" in entry:
            plural = entry["msgid_plural"]
            assert catalogue.ngettext(entry["msgid"], plural, 1) == entry["msgstr[0]"]
            assert catalogue.ngettext(entry["msgid"], plural, 5) == entry["msgstr[1]"]
        else:
            assert catalogue.gettext(entry["msgid"]) == entry["msgstr"]


def test_french_front_page(page: Page, actor: Actor, add_service: Callable[..., Service],
                           open_incident: Callable[..., Incident], get: Callable[..., Any],
                           get_dom: Callable[..., Node]) -> None:
    pages.update_page(page, {"language": "fr"}, actor=actor)
    api = add_service("API", start_date=dt.date(2026, 1, 1))
    open_incident("Erreurs", services=[api], state=State.MAJOR_OUTAGE)

    response = get("/")
    dom = get_dom("/")

    assert response["Content-Language"] == "fr"
    assert dom.one("html").attrs["lang"] == "fr"
    assert dom.one("h2", id="current-heading").text() == "Événements en cours"
    assert dom.one("li", cls="service").one(cls="state-tag").text() == "Panne majeure"
    assert "15 juin 2026, 11:00 CDT" in dom.one("li", cls="entry").one(cls="meta").text()
    assert dom.one("li", cls="service").one(cls="uptime").text() == "99,95 % de disponibilité"


def test_german_history(page: Page, actor: Actor, past_incident: Callable[..., Incident],
                        get_dom: Callable[..., Node]) -> None:
    pages.update_page(page, {"language": "de"}, actor=actor)
    past_incident(local(page, 2026, 3, 7, 23, 0), local(page, 2026, 3, 8, 4, 0))

    dom = get_dom("/history")

    assert dom.one("h1").text() == "Vorfallsverlauf"
    section = dom.one("section", aria_labelledby="past-heading")
    assert section.one("h3", cls="month").text() == "März 2026"
    meta = section.one(cls="meta").text()
    assert meta.startswith(
        "Schwerer Ausfall · 7. März 2026, 23:00 CST \N{EN DASH} 8. März 2026, 04:00 CDT"
    )
    assert meta.endswith("Dauer: 4 h")


def test_german_not_found_page(page: Page, actor: Actor, get: Callable[..., Any]) -> None:
    pages.update_page(page, {"language": "de"}, actor=actor)

    response = get("/incidents/5555")

    assert response.status_code == 404
    assert response["Content-Language"] == "de"
    assert "Diese Seite hat keinen Vorfall 5555." in response.content.decode()


def test_language_does_not_leak_to_next_request(page: Page, actor: Actor,
                                                make_page: Callable[..., Page],
                                                get_dom: Callable[..., Node]) -> None:
    pages.update_page(page, {"language": "fr"}, actor=actor)
    make_page("beta", title="Beta")

    get_dom("/")
    dom = get_dom("/", "beta.localhost")

    assert dom.one("html").attrs["lang"] == "en"
    assert dom.one("h2", id="banner-heading").text() == "Operational"
