"""The API's mount point, HELIOGRAPH_RUNSTATUS_PREFIX: accepted forms, rejected ones, links."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from heliograph.domain.models import Page
from heliograph.runstatus.urls import route_prefix
from tests.commands.conftest import ADMIN, admin_environment


@pytest.mark.parametrize(("raw", "route"), [
    ("/runstatus/", "runstatus/"),
    ("runstatus", "runstatus/"),
    ("/status/runstatus-v1", "status/runstatus-v1/"),
    ("//legacy//api.runstatus.com/", "legacy/api.runstatus.com/"),
])
def test_prefix_forms_accepted(raw: str, route: str) -> None:
    assert route_prefix(raw) == route


@pytest.mark.parametrize(("raw", "fragment"), [
    ("/", "empty"),
    ("", "empty"),
    ("/api/", "/api/ is already used"),
    ("/console/runstatus/", "/console/ is already used"),
    ("/p/", "/p/ is already used"),
    ("/run status/", "only letters"),
    ("/runstatus?x=1/", "only letters"),
])
def test_prefix_rejected(raw: str, fragment: str) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        route_prefix(raw)

    assert "HELIOGRAPH_RUNSTATUS_PREFIX" in str(raised.value)
    assert fragment in str(raised.value)


@pytest.mark.django_db
def test_other_prefix_serves_and_links(client_for: Any, owner: Any, page: Page,
                                       settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.runstatus.prefix_urls"
    client = client_for(owner)

    response = client.get("http://testserver/status/runstatus-v1/pages/acme")

    assert response.status_code == 200
    assert response.json()["services_url"] == (
        "http://127.0.0.1:8000/status/runstatus-v1/pages/acme/services")
    assert client.get("http://testserver/runstatus/pages/acme").status_code == 404


def test_bad_prefix_stops_start(tmp_path: Path) -> None:
    environment = admin_environment(tmp_path) | {"HELIOGRAPH_RUNSTATUS_PREFIX": "/console/"}

    result = subprocess.run([str(ADMIN), "check"], env=environment, capture_output=True,
                            text=True, timeout=120, check=False)

    assert result.returncode != 0
    assert "HELIOGRAPH_RUNSTATUS_PREFIX='/console/' is not usable" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_skew_stops_start(tmp_path: Path) -> None:
    environment = admin_environment(tmp_path) | {"HELIOGRAPH_RUNSTATUS_MAX_SKEW": "0"}

    result = subprocess.run([str(ADMIN), "check"], env=environment, capture_output=True,
                            text=True, timeout=120, check=False)

    assert result.returncode != 0
    assert "HELIOGRAPH_RUNSTATUS_MAX_SKEW=0 is too small" in result.stderr


def test_default_prefix_serves(client_for: Any, db: None, owner: Any) -> None:
    assert client_for(owner).get("/pages").status_code == 200


