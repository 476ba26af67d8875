"""Requests crafted to break the logs, the metrics' label sets and the endpoints' access checks."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from heliograph.domain.models import Page
from heliograph.lib.observability import RequestContextFilter
from tests.operability.test_metrics import requests_of, scrape


def _series(samples: dict[tuple[str, tuple[Any, ...]], float], label: str) -> set[str]:
    """Return the values of `label` across the request counter's series."""
    return {dict(labels)[label] for name, labels in samples
            if name == "heliograph_http_requests_total"}


@pytest.mark.django_db
def test_random_methods_share_one_series() -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    for _ in range(20):
        client.generic(f"X{uuid.uuid4().hex[:10].upper()}", "/")

    methods = _series(scrape(), "method")

    assert not any(method.startswith("X") and len(method) == 11 for method in methods)
    assert "other" in methods


@pytest.mark.django_db
def test_known_methods_keep_their_label() -> None:
    Client(HTTP_HOST="127.0.0.1").head("/healthz")

    assert "HEAD" in _series(scrape(), "method")


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1", "acme.localhost"])
def test_random_paths_share_route_labels(page: Page, host: str) -> None:
    client = Client(HTTP_HOST=host)
    unmatched_before = requests_of(scrape(), "unmatched", "404")
    sent: list[str] = []
    for _ in range(30):
        parts = [uuid.uuid4().hex, uuid.uuid4().hex, str(uuid.uuid4().int % 10**9)]
        sent += parts
        client.get(f"/{parts[0]}/{parts[1]}")
        client.get(f"/incidents/{parts[2]}")

    # The other test processes of the run add their own routes to the same scrape, so this
    # looks for what these requests could have added, not at how many series were added.
    samples = scrape()
    routes = _series(samples, "route")

    assert not [route for route in routes if any(part in route for part in sent)]
    assert not [route for route in routes if "/" in route]
    assert requests_of(samples, "unmatched", "404") >= unmatched_before + 30


@pytest.fixture
def plain_access_log(settings: Any) -> Iterator[io.StringIO]:
    """Capture the access log as the default plain format writes it."""
    settings.HELIOGRAPH_ACCESS_LOG = True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    handler.addFilter(RequestContextFilter())
    target = logging.getLogger("heliograph.access")
    target.addHandler(handler)
    yield stream
    target.removeHandler(handler)


@pytest.mark.django_db
def test_plain_log_line_survives_crlf_path(plain_access_log: io.StringIO) -> None:
    Client(HTTP_HOST="127.0.0.1").get(
        "/nothing%0D%0A2026-01-01 00:00:00,000 INFO heliograph.access [forged] GET / 200")

    lines = plain_access_log.getvalue().splitlines()

    assert len(lines) == 1, lines
    assert "%0D%0A" in lines[0]


@pytest.mark.django_db
def test_request_id_with_crlf_is_replaced(plain_access_log: io.StringIO) -> None:
    response = Client(HTTP_HOST="127.0.0.1").get(
        "/nothing", HTTP_X_REQUEST_ID="a\r\nforged: yes")

    assert "\r" not in response["X-Request-ID"]
    assert len(plain_access_log.getvalue().splitlines()) == 1
    assert "forged" not in plain_access_log.getvalue()


@pytest.mark.django_db
def test_huge_request_id_is_replaced() -> None:
    response = Client(HTTP_HOST="127.0.0.1").get("/healthz", HTTP_X_REQUEST_ID="a" * 100_000)

    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_readyz_names_no_backend_detail(settings: Any) -> None:
    body = Client(HTTP_HOST="127.0.0.1").get("/readyz").content.decode()

    assert settings.DATA_DIR.as_posix() not in body
    assert "sqlite" not in body.lower()
    assert "redis://" not in body
    assert "postgres" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [
    {"HTTP_AUTHORIZATION": "Bearer wrong", "REMOTE_ADDR": "203.0.113.9"},
    {"HTTP_AUTHORIZATION": "Bearer s3cret-token-value ", "REMOTE_ADDR": "203.0.113.9"},
    {"HTTP_AUTHORIZATION": "bearer s3cret-token-value", "REMOTE_ADDR": "203.0.113.9"},
    {"HTTP_AUTHORIZATION": "Bearer s3cret-token-valu", "REMOTE_ADDR": "203.0.113.9"},
    {"HTTP_X_FORWARDED_FOR": "127.0.0.1", "REMOTE_ADDR": "203.0.113.9"},
    {"HTTP_X_REAL_IP": "127.0.0.1", "REMOTE_ADDR": "203.0.113.9"},
    {"HTTP_FORWARDED": "for=127.0.0.1"},
])
def test_metrics_rejects_forged_access(settings: Any, headers: dict[str, str]) -> None:
    settings.HELIOGRAPH_METRICS_TOKEN = "s3cret-token-value"
    response = Client(HTTP_HOST="127.0.0.1").get("/metrics", **headers)

    assert response.status_code == 403
    assert b"heliograph_http_requests_total" not in response.content
