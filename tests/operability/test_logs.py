"""Request ids and structured JSON logs."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from heliograph.domain.models import Page
from heliograph.lib.observability import JsonFormatter, RequestContextFilter
from tests.operability.support import run_django

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def test_keeps_sane_request_id() -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a.91:b_2")
    assert response["X-Request-ID"] == "edge-7f3a.91:b_2"


@pytest.mark.parametrize("offered", ["", "has space", "semi;colon", "x" * 129, "tab\there",
                                     "é-accent"])
def test_replaces_unsafe_request_id(offered: str) -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=offered)
    assert GENERATED_ID.fullmatch(response["X-Request-ID"])


def test_generated_ids_differ() -> None:
    client = Client()
    ids = {client.get("/healthz")["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


@pytest.fixture
def access_log(settings: Any) -> Iterator[io.StringIO]:
    """Capture the access log as the JSON format writes it."""
    settings.HELIOGRAPH_ACCESS_LOG = True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    target = logging.getLogger("heliograph.access")
    target.addHandler(handler)
    yield stream
    target.removeHandler(handler)


def entries(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
@pytest.mark.parametrize(("host", "path", "route"), [
    ("acme.localhost", "/history", "public:history"),
    ("127.0.0.1", "/p/acme/history", "public:by-path:history"),
])
def test_access_log_entry(page: Page, access_log: io.StringIO, host: str, path: str,
                          route: str) -> None:
    response = Client(HTTP_HOST=host).get(path, HTTP_X_REQUEST_ID="trace-42")
    assert response.status_code == 200
    [entry] = entries(access_log)
    assert entry["request_id"] == "trace-42"
    assert entry["page"] == "acme"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "heliograph.access"
    assert entry["message"] == f"GET {path} 200"
    assert entry["route"] == route
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    moment = dt.datetime.fromisoformat(entry["timestamp"])
    assert moment.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - moment) < dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_console_entry_names_page(page: Page, owner: Any, access_log: io.StringIO) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    assert client.get("/console/pages/acme/").status_code == 200
    [entry] = entries(access_log)
    assert entry["page"] == "acme"
    assert entry["route"] == "console:dashboard"


def test_formatter_keeps_exception() -> None:
    try:
        raise ValueError("broken value")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "failed on %s", ("input",), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed on input"
    assert entry["level"] == "ERROR"
    assert "ValueError: broken value" in entry["exception"]
    assert entry["request_id"] == ""


def test_json_format_from_environment(tmp_path: Path) -> None:
    """With HELIOGRAPH_LOG_FORMAT=json, every line on standard error is one JSON object."""
    script = """
import logging
from django.test import Client
response = Client(HTTP_HOST="127.0.0.1").get("/static/public/status.css",
                                             HTTP_X_REQUEST_ID="from-client")
print(response.status_code, response["X-Request-ID"])
logging.getLogger("heliograph.test").warning("outside any request")
"""
    result = run_django(script, tmp_path, HELIOGRAPH_LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["200", "from-client"]
    lines = result.stderr.strip().splitlines()
    parsed = [json.loads(line) for line in lines]
    access = [entry for entry in parsed if entry["logger"] == "heliograph.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "from-client"
    assert access[0]["path"] == "/static/public/status.css"
    outside = [entry for entry in parsed if entry["logger"] == "heliograph.test"]
    assert outside[0]["message"] == "outside any request"
    assert outside[0]["request_id"] == ""
    for entry in parsed:
        assert {"timestamp", "level", "logger", "message", "request_id", "page"} <= set(entry)


def test_plain_format_is_default(tmp_path: Path) -> None:
    script = 'import logging\nlogging.getLogger("heliograph.test").warning("plain line")\n'
    result = run_django(script, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "WARNING heliograph.test [] plain line" in result.stderr
    assert not result.stderr.lstrip().startswith("{")


def test_unknown_log_format_rejected(tmp_path: Path) -> None:
    result = run_django("", tmp_path, HELIOGRAPH_LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "HELIOGRAPH_LOG_FORMAT='xml' is not allowed: use one of plain, json." in result.stderr


def test_outgoing_requests_not_logged(tmp_path: Path) -> None:
    """httpx's line per outgoing request stays out; its warnings still show."""
    script = """
import logging
logging.getLogger("httpx").info("HTTP Request: GET http://127.0.0.1:8000/")
logging.getLogger("httpx").warning("a warning from httpx")
"""
    result = run_django(script, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "HTTP Request:" not in result.stderr
    assert "a warning from httpx" in result.stderr
