"""Hostile text comes out of every endpoint as the exact string that was stored.

The documents are JSON, so nothing is rendered. The tests check that each string parses back
unchanged and that `<`, `>`, `&` and the line and paragraph separators never appear raw in the
bytes. Control characters never reach the database in the first place.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.errors import InvalidValue
from heliograph.domain.models import Incident, IncidentEvent, Page
from heliograph.domain.vocab import State, Status
from tests.statuspage.conftest import API, ENDPOINTS, HOST, NOW

GERMAN = "Störung & <Wartung>"
SCRIPT = '</script><script>alert("x")</script>'
ARABIC = "انقطاع في الخدمة: نعمل على الإصلاح"
HEBREW = "תקלה בשירות (API) \u2013 בטיפול"
MIXED = "API \u05e9\u05d2\u05d9\u05d0\u05d4 500 \u0645\u0634\u0643\u0644\u0629 ok"
SEPARATORS = "line\u2028separator\u2029paragraph"
LAYOUT = "Tabs\tand\nnew\r\nlines, \\ backslash, \"quotes\" and 'apostrophes'"
EMOJI = "🔥 Outage 👩\u200d💻 \u2013 Ü ß 中文"


def long_text() -> str:
    """Return a 10,000-character update with hostile pieces at the start, middle and end."""
    filler = "Wir untersuchen das Problem. " * 400
    text = f"{GERMAN} {filler[:4_000]}{SCRIPT}{ARABIC}{filler}"
    text = text[: 10_000 - len(EMOJI)] + EMOJI
    assert len(text) == 10_000
    return text


@pytest.fixture
def hostile(page: Page, actor: Actor) -> None:
    """Put hostile text in every field that the endpoints show."""
    pages.update_page(page, {"title": GERMAN}, actor=actor)
    group = pages.add_group(page, name=HEBREW, actor=actor)
    service = pages.add_service(page, name=GERMAN, description=SCRIPT, group=group,
                                actor=actor)
    incident = incidents.open_incident(
        page, title=ARABIC, text=long_text(), state=State.MAJOR_OUTAGE,
        status=Status.INVESTIGATING, services=[service], at=NOW - dt.timedelta(hours=1),
        actor=actor,
    )
    incidents.post_event(incident, text=LAYOUT, state=State.PARTIAL_OUTAGE,
                         status=Status.IDENTIFIED, at=NOW - dt.timedelta(minutes=30),
                         actor=actor)
    incidents.post_event(incident, text=SEPARATORS, state=State.PARTIAL_OUTAGE,
                         status=Status.IDENTIFIED, actor=actor)
    maintenances.schedule_maintenance(
        page, title=MIXED, description=EMOJI, starts_at=NOW + dt.timedelta(days=1),
        ends_at=NOW + dt.timedelta(days=1, hours=2), services=[service], actor=actor,
    )


def fetch(client: Client, endpoint: str) -> bytes:
    response = client.get(API + endpoint, HTTP_HOST=HOST)
    assert response.status_code == 200, response.content[:300]
    return bytes(response.content)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_raw_markup_characters(endpoint: str, hostile: None,
                                  client: Client) -> None:
    raw = fetch(client, endpoint).decode()

    for character in ("<", ">", "&", "\u2028", "\u2029"):
        assert character not in raw, repr(character)
    assert "\\u003c" in raw


def test_strings_survive_exactly(hostile: None, client: Client) -> None:
    summary = json.loads(fetch(client, "summary.json"))
    group, service = summary["components"]
    incident = summary["incidents"][0]
    maintenance = summary["scheduled_maintenances"][0]

    assert summary["page"]["name"] == GERMAN
    assert group["name"] == HEBREW
    assert service["name"] == GERMAN
    assert service["description"] == SCRIPT
    assert incident["name"] == ARABIC
    assert incident["components"][0]["name"] == GERMAN
    assert [update["body"] for update in incident["incident_updates"]] == [
        SEPARATORS, LAYOUT, long_text(),
    ]
    assert incident["incident_updates"][0]["affected_components"][0]["name"] == GERMAN
    assert maintenance["name"] == MIXED
    assert maintenance["incident_updates"][0]["body"] == EMOJI


def test_long_update_is_whole(hostile: None, client: Client) -> None:
    incidents_json = json.loads(fetch(client, "incidents.json"))
    body = incidents_json["incidents"][0]["incident_updates"][-1]["body"]

    assert len(body) == 10_000
    assert body.endswith(EMOJI)
    assert SCRIPT in body


def test_bytes_are_utf_8(hostile: None, client: Client) -> None:
    raw = fetch(client, "summary.json")

    assert ARABIC.encode() in raw
    assert HEBREW.encode() in raw
    assert "Störung \\u0026 \\u003cWartung\\u003e".encode() in raw


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\u0085", "\u202e"])
def test_control_characters_rejected(character: str, page: Page, actor: Actor,
                                     client: Client) -> None:
    before = fetch(client, "incidents.json")

    with pytest.raises(InvalidValue) as raised:
        incidents.open_incident(page, title=f"Bad{character}title", text="Text.",
                                state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                actor=actor)

    assert raised.value.field == "title"
    assert f"U+{ord(character):04X}" in raised.value.message
    assert not Incident.objects.filter(page=page).exists()
    assert fetch(client, "incidents.json") == before


def test_control_character_in_update_rejected(page: Page, actor: Actor,
                                              client: Client) -> None:
    incident = incidents.open_incident(page, title="Fine", text="Fine.",
                                       state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                       at=NOW - dt.timedelta(minutes=5), actor=actor)
    before = fetch(client, "incidents.json")

    with pytest.raises(InvalidValue) as raised:
        incidents.post_event(incident, text="Escape \x1b[31mred", state=State.MAJOR_OUTAGE,
                             status=Status.IDENTIFIED, actor=actor)

    assert raised.value.field == "text"
    assert IncidentEvent.objects.filter(incident=incident).count() == 1
    assert fetch(client, "incidents.json") == before


def test_titles_reject_line_breaks(page: Page, actor: Actor) -> None:
    with pytest.raises(InvalidValue) as raised:
        pages.add_service(page, name="Two\nlines", actor=actor)

    assert raised.value.field == "name"
