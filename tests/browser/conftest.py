"""Fixtures of the browser tests: Debian's Chromium driven by Playwright against `live_server`.

A missing Chromium or a missing `node_modules` fails these tests with the install command
instead of skipping them, so a CI run cannot pass without having run them.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.management import call_command

from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.management.commands.demo import DEMO_SLUG
from heliograph.domain.models import Incident, Maintenance, Page
from heliograph.domain.vocab import MaintenanceStatus


@pytest.fixture
def demo_views(transactional_db: None) -> Callable[[str], dict[str, str]]:
    """Create the demo page, and return a function that sets its theme and names its views.

    The views are paths under the page's host: the front page, an incident with a
    post-mortem, the history, a maintenance in progress and the past maintenances.
    """
    call_command("demo", stdout=io.StringIO())
    page = Page.objects.get(slug=DEMO_SLUG)
    incident = Incident.objects.filter(page=page).exclude(post_mortem="").first()
    maintenance = Maintenance.objects.filter(
        page=page, status=MaintenanceStatus.IN_PROGRESS
    ).first()
    assert incident is not None
    assert maintenance is not None

    def views(theme: str) -> dict[str, str]:
        pages.update_page(page, {"theme": theme}, actor=Actor.system("browser tests"))
        return {
            "front": "",
            "incident": f"incidents/{incident.pk}",
            "history": "history",
            "maintenance": f"maintenances/{maintenance.pk}",
            "past maintenances": "maintenances",
        }

    return views
