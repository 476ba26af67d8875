"""Public views and API lists make as many queries with years of history as with a month."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.history import build_history
from heliograph.api.models import ApiToken
from heliograph.domain.models import FiguresWatermark, Incident, Page

PUBLIC_PATHS = ["/", "/history", "/api/v2/summary.json", "/api.json", "/api/v2/incidents.json",
                "/badge.svg", "/history.atom", "/maintenances.ics"]
API_LISTS = ["incidents", "maintenances", "services"]


@pytest.fixture
def histories(db: None, settings: Any) -> dict[str, Page]:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    build_history(30, random.Random(1), slug="short", per_day=1.0)
    build_history(6 * 365, random.Random(2), slug="long", per_day=1.0)
    return {slug: Page.objects.get(slug=slug) for slug in ("short", "long")}


def count_queries(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries)


def test_histories_differ_in_size(histories: dict[str, Page]) -> None:
    short = Incident.objects.filter(page=histories["short"]).count()
    long = Incident.objects.filter(page=histories["long"]).count()

    assert long > 50 * short
    assert FiguresWatermark.objects.filter(page__in=histories.values()).count() == 2


def test_query_counts_equal(histories: dict[str, Page], client: Client) -> None:
    """Every public path and API list costs the same number of queries for both histories."""
    counts: dict[str, dict[str, int]] = {"short": {}, "long": {}}
    for slug, page in histories.items():
        _, token = ApiToken.issue(page.members.get(), [page], can_write=False)
        for path in PUBLIC_PATHS:
            counts[slug][path] = count_queries(
                lambda: client.get(path, HTTP_HOST=f"{slug}.localhost"))  # noqa: B023
        for kind in API_LISTS:
            counts[slug][kind] = count_queries(
                lambda: client.get(f"/api/v1/pages/{slug}/{kind}",  # noqa: B023
                                   HTTP_AUTHORIZATION=f"Bearer {token}"))  # noqa: B023

    assert counts["long"] == counts["short"]
