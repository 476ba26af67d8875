"""`heliograph-admin page load` with hostile documents: every one ends in a CommandError."""

from __future__ import annotations

import base64
import copy
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from heliograph.accounts.models import User
from heliograph.domain.models import Page
from tests.backups import test_portability

# The fixtures of the well-formed document and of the uploads directory.
page_document = test_portability.page_document
media_root = test_portability.media_root
_set = test_portability._set


def _load(document_text: str, tmp_path: Path, *args: str) -> str:
    target = tmp_path / "document.json"
    target.write_text(document_text, encoding="utf-8")
    output = StringIO()
    call_command("page", "load", str(target), *args, stdout=output, stderr=StringIO())
    return output.getvalue()


def test_load_deeply_nested_json(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as raised:
        _load("[" * 200_000 + "]" * 200_000, tmp_path)

    assert str(raised.value).startswith("FILE: ")
    assert "nested" in str(raised.value)
    assert not Page.objects.exists()


UNHASHABLE = [
    (["incidents", 1, "services"], [[1]], "incidents[1].services"),
    (["services", 0, "group"], [1], "services[0].group"),
    (["subscribers", 0, "services"], [{"ref": 1}], "subscribers[0].services"),
    (["services", 0, "group"], True, "services[0].group"),
]


@pytest.mark.parametrize(("path", "value", "field"), UNHASHABLE,
                         ids=[case[2] for case in UNHASHABLE])
def test_load_ref_of_wrong_type(page_document: dict[str, Any], tmp_path: Path,
                                path: list[Any], value: Any, field: str) -> None:
    document = copy.deepcopy(page_document)
    _set(document, path, value)
    pages_before = Page.objects.count()

    with pytest.raises(CommandError) as raised:
        _load(json.dumps(document), tmp_path, "--slug", "loaded")

    assert str(raised.value).startswith(f"FILE: {field}")
    assert Page.objects.count() == pages_before


SVG_WITH_SCRIPT = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                   b'<script>alert(1)</script><rect width="10" height="10"/></svg>')


def test_load_svg_logo_with_script(page_document: dict[str, Any], tmp_path: Path,
                                   media_root: Path) -> None:
    document = copy.deepcopy(page_document)
    document["page"]["logo"] = {"extension": "svg",
                                "base64": base64.b64encode(SVG_WITH_SCRIPT).decode()}
    pages_before = Page.objects.count()

    with pytest.raises(CommandError) as raised:
        _load(json.dumps(document), tmp_path, "--slug", "loaded")

    assert str(raised.value).startswith("FILE: page.logo")
    assert "script" in str(raised.value)
    assert Page.objects.count() == pages_before
    assert not list(media_root.rglob("*loaded*"))


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_loaded_xss_payloads_stay_escaped(page_document: dict[str, Any], tmp_path: Path,
                                          owner: User) -> None:
    document = copy.deepcopy(page_document)
    document["page"]["title"] = "Acme " + XSS[:60]
    document["services"][0]["name"] = "API " + XSS[:40]
    for incident in document["incidents"]:
        incident["title"] = "Outage " + XSS
        for event in incident["events"]:
            event["text"] = "Text " + XSS + " [link](javascript:alert(1))"

    _load(json.dumps(document), tmp_path, "--slug", "loaded")

    for path in ("/p/loaded/", "/p/loaded/history"):
        response = Client().get(path)
        body = response.content.decode()
        assert response.status_code == 200, path
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
        assert 'href="javascript:' not in body, path


CONTROL_CHARACTERS = [
    (["incidents", 1, "events", 0, "text"], "Back \u202eenilno", "incidents[1].events[0].text"),
    (["incidents", 0, "title"], "Outage\x1b[2J", "incidents[0].title"),
    (["maintenances", 0, "description"], "Upgrade\x07", "maintenances[0].description"),
    (["services", 0, "name"], "API\u2066", "services[0].name"),
    (["members", 0, "email"], "owner@example.com\x1b]0;owned\x07", "members[0].email"),
    (["social_accounts", 0, "network"], "x\x1b[31m", "social_accounts[0].network"),
]


@pytest.mark.parametrize(("path", "value", "field"), CONTROL_CHARACTERS,
                         ids=[case[2] for case in CONTROL_CHARACTERS])
def test_load_rejects_control_characters(page_document: dict[str, Any], tmp_path: Path,
                                         path: list[Any], value: str, field: str) -> None:
    document = copy.deepcopy(page_document)
    _set(document, path, value)
    pages_before = Page.objects.count()

    with pytest.raises(CommandError) as raised:
        _load(json.dumps(document), tmp_path, "--slug", "loaded")

    assert str(raised.value).startswith(f"FILE: {field}")
    assert "\x1b" not in str(raised.value)
    assert Page.objects.count() == pages_before


def test_load_keeps_line_breaks_and_tabs(page_document: dict[str, Any], tmp_path: Path) -> None:
    document = copy.deepcopy(page_document)
    document["incidents"][1]["events"][0]["text"] = "Line one\r\n\tLine two"

    _load(json.dumps(document), tmp_path, "--slug", "loaded")

    assert Page.objects.filter(slug="loaded").exists()
