"""Hostile text in every user-set field, read back from every public and console route.

The routes come from the URL configuration, so a new public or console view is rendered here
without anyone listing it. Each response is checked by its content type. HTML is compared
with the same page filled with harmless text. Atom and RSS must parse as XML, with sanitised
HTML content. iCalendar and JSON must parse, and the SVG badge must be XML without script.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import icalendar
import pytest
from django.test import Client

from heliograph.accounts.models import User
from heliograph.domain.errors import InvalidValue
from heliograph.domain.models import Incident, IncidentEvent, Maintenance, Page, Service
from tests.xss.checks import Markup, compare_html, fragment_problems, read_html, scheme_of
from tests.xss.conftest import HOST, get, path_values, routes, url_of
from tests.xss.corpus import (
    CONTROL_PAYLOADS,
    FIELDS,
    PAYLOADS,
    SCRIPT_SCHEMES,
    Built,
    build,
    harmless_value,
    hostile_values,
    marker_of,
)

pytestmark = pytest.mark.django_db

PUBLIC = "public:by-path:"
CONSOLE = "console:"

Rendered = dict[str, tuple[str, bytes]]


def render_all(built: Built, owner: User) -> Rendered:
    """GET every public route anonymously and every console route as the owner.

    Return the content type and body of each one that returns 200, by route name.
    """
    values = path_values(built)
    anonymous = Client(HTTP_HOST=HOST)
    signed_in = Client(HTTP_HOST=HOST)
    signed_in.force_login(owner)
    rendered: Rendered = {}
    for prefix, client in ((PUBLIC, anonymous), (CONSOLE, signed_in)):
        for route in routes(prefix):
            response = get(client, url_of(route, values))
            assert response.status_code < 500, f"{route.name}: {response.status_code}"
            if response.status_code == 200 and not response.streaming:
                content_type = response.headers.get("Content-Type", "").split(";")[0]
                rendered[route.name] = (content_type, response.content)
    return rendered


ATOM = "{http://www.w3.org/2005/Atom}"
_HARMLESS: dict[str, Any] = {}


def harmless(make_user: Callable[..., User]) -> Rendered:
    """Return the routes rendered for a page of harmless text, built once per process.

    Its owner is a user of its own, so that the lists of a user's pages, tokens and
    credentials hold as many rows for it as for the owner of the hostile page.
    """
    if "rendered" not in _HARMLESS:
        calm_owner = make_user("calm@example.com")
        built = build(calm_owner, harmless_value, slug="calm")
        assert built.rejected == {}, built.rejected
        _HARMLESS["rendered"] = render_all(built, calm_owner)
    rendered: Rendered = _HARMLESS["rendered"]
    return rendered


def html_problems(name: str, body: bytes, baseline: Rendered) -> list[str]:
    hostile_markup = read_html(body.decode())
    harmless_markup = read_html(baseline[name][1].decode()) if name in baseline else Markup()
    return compare_html(hostile_markup, harmless_markup)


def xml_problems(name: str, body: bytes) -> list[str]:
    """Return script in an XML document, and active HTML in the HTML content of its entries.

    The HTML content is an Atom entry's `content` or `summary` and an RSS item's
    `description`. Titles and the RSS channel's description are text, so their payloads only
    need to be escaped, which a well-formed parse proves.
    """
    root = ET.fromstring(body)  # noqa: S314 - our own output, parsed to prove it is well-formed
    problems: list[str] = []
    html_parts: list[ET.Element | None] = [
        *root.iter(f"{ATOM}content"), *root.iter(f"{ATOM}summary"),
        *(item.find("description") for item in root.iter("item"))]
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in {"script", "foreignObject"}:
            problems.append(f"<{tag}> in {name}")
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1]
            if local.startswith("on") or scheme_of(value) in SCRIPT_SCHEMES:
                problems.append(f"{tag}[{local}={value[:60]!r}] in {name}")
    for part in html_parts:
        if part is not None and part.text:
            problems += [f"{problem} in {name} <{part.tag}>"
                         for problem in fragment_problems(part.text)]
    return problems


def calendar_problems(body: bytes, baseline: bytes) -> list[str]:
    def properties(data: bytes) -> set[tuple[str, str]]:
        calendar = icalendar.Calendar.from_ical(data)
        return {(str(component.name), name) for component in calendar.walk()
                for name in component}

    extra = properties(body) - properties(baseline)
    return [f"iCalendar property {pair} that the harmless calendar lacks" for pair in extra]


def problems_of(rendered: Rendered, baseline: Rendered) -> list[str]:
    problems: list[str] = []
    for name, (content_type, body) in sorted(rendered.items()):
        if content_type == "text/html":
            problems += [f"{name}: {problem}" for problem in html_problems(name, body, baseline)]
        elif content_type in {"application/atom+xml", "application/rss+xml", "image/svg+xml"}:
            problems += xml_problems(name, body)
        elif content_type == "text/calendar":
            problems += calendar_problems(body, baseline[name][1])
        elif content_type == "application/json":
            json.loads(body)
        else:
            problems.append(f"{name}: content type {content_type!r} is not checked here: add it")
    return problems


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_payload_stays_text(payload: str, owner: User,
                            make_user: Callable[..., User]) -> None:
    baseline = harmless(make_user)
    built = build(owner, hostile_values(payload))

    rendered = render_all(built, owner)

    assert set(rendered) == set(baseline)
    problems = problems_of(rendered, baseline)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_payload_rejected_clearly(payload: str, owner: User) -> None:
    """A value that a field does not accept raises InvalidValue naming the field."""
    built = build(owner, hostile_values(payload))

    crashed = {key: f"{type(error).__name__}: {error}" for key, error in built.crashed.items()}
    assert crashed == {}
    unnamed = [key for key, error in built.rejected.items()
               if not getattr(error, "field", None)]
    assert unnamed == []


@pytest.mark.parametrize("payload", CONTROL_PAYLOADS.values(), ids=CONTROL_PAYLOADS.keys())
def test_control_characters_rejected(payload: str, owner: User) -> None:
    built = build(owner, hostile_values(payload))

    accepted = sorted(key for key, value in built.values.items()
                      if any(char in value for char in "\x00\x1b\u202e"))
    assert accepted == []
    for key, error in built.rejected.items():
        assert isinstance(error, InvalidValue)
        assert error.field, f"{key}: {error} names no field"


def test_every_field_is_shown(make_user: Callable[..., User]) -> None:
    """Each field's harmless value appears in some route, so the payload tests reach it."""
    rendered = harmless(make_user)
    everything = b"\n".join(body for _, body in rendered.values()).decode()

    hidden = [field.key for index, field in enumerate(FIELDS)
              if marker_of(index) not in everything
              and marker_of(index).lower() not in everything]
    assert hidden == []



@pytest.mark.parametrize("payload", CONTROL_PAYLOADS.values(), ids=CONTROL_PAYLOADS.keys())
def test_stored_control_characters_stay_out(payload: str, owner: User,
                                            make_user: Callable[..., User]) -> None:
    """Rows written past the domain's checks (an import, an old row) still render safely.

    XML, iCalendar and SVG cannot carry these characters, so they must be left out there.
    """
    baseline = harmless(make_user)
    built = build(owner, harmless_value)
    Page.objects.filter(pk=built.page.pk).update(title=f"P{payload}")
    Service.objects.filter(pk=built.service.pk).update(name=f"S{payload}")
    Incident.objects.filter(pk=built.incident.pk).update(title=f"I{payload}")
    IncidentEvent.objects.filter(incident=built.incident).update(text=f"E{payload}")
    Maintenance.objects.filter(pk=built.maintenance.pk).update(title=f"M{payload}",
                                                               description=f"D{payload}")

    rendered = render_all(built, owner)

    problems = problems_of(rendered, baseline)
    assert not problems, "\n".join(problems)
    strict = {name: body for name, (kind, body) in rendered.items()
              if kind in {"application/atom+xml", "application/rss+xml", "image/svg+xml",
                          "text/calendar"}}
    assert strict
    carrying = sorted(name for name, body in strict.items()
                      if any(char in body.decode() for char in "\x00\x1b\u202e"))
    assert carrying == []
