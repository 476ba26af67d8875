"""The real `exoscale` Python SDK 0.8 (PyPI) and its Runstatus client, pointed at Heliograph.

`Exoscale(runstatus_api_endpoint=...)` takes the API's base URL. Each step below runs a short
script in the SDK's own throwaway environment and prints what the SDK read back as JSON; the
test then checks that and what Heliograph stored.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from tests.runstatus.conftest import LiveApi, client_environment
from tests.venvs import make_venv

# Imports and the client, before each step's own lines.
PRELUDE = """
import datetime as dt, json, sys
from exoscale import Exoscale
key, secret, endpoint = sys.argv[1:4]
runstatus = Exoscale(api_key=key, api_secret=secret, runstatus_api_endpoint=endpoint).runstatus
"""

Step = Callable[[str], Any]


@pytest.fixture(scope="session")
def sdk_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The SDK imports pkg_resources, which setuptools 81 removed.
    bin_dir = make_venv(tmp_path_factory.mktemp("exoscale-sdk") / "venv",
                        ["exoscale==0.8.0", "setuptools<81"])
    return bin_dir / "python"


@pytest.fixture
def sdk(sdk_python: Path, live_api: LiveApi, tmp_path: Path) -> Step:
    """Return a function that runs SDK code and returns the JSON it prints last."""

    def run(code: str) -> Any:
        script = tmp_path / "step.py"
        script.write_text(PRELUDE + textwrap.dedent(code))
        result = subprocess.run(
            [str(sdk_python), str(script), live_api.key, live_api.secret, live_api.endpoint],
            env=client_environment(tmp_path), capture_output=True, text=True, timeout=120,
            check=False)
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        return json.loads(result.stdout.strip().splitlines()[-1])

    return run


def test_sdk_runs_page(sdk: Step, page: Page) -> None:
    created = sdk("""
        page = runstatus.create_page("sdk-page")
        page = runstatus.get_page(name="sdk-page")
        page.add_service("Database")
        print(json.dumps({"id": page.id, "services": [[s.name, s.state] for s in page.services]}))
    """)
    made = Page.objects.get(slug="sdk-page")
    assert created == {"id": made.pk, "services": [["Database", "operational"]]}
    assert made.title == "sdk-page"

    incident = sdk("""
        page = runstatus.get_page(name="sdk-page")
        page.add_incident("Slow queries", "Queries take seconds.", "degraded_performance",
                          "investigating", services=["Database"])
        [incident] = list(page.incidents)
        incident.add_event("Worse now.", state="major_outage")
        incident.update(title="Database down")
        events = [[e.description, e.status, e.state] for e in incident.events]
        print(json.dumps({"id": incident.id, "services": incident.services, "events": events}))
    """)
    stored = Incident.objects.get(page__slug="sdk-page")
    assert incident["id"] == stored.pk
    assert incident["services"] == ["Database"]
    assert incident["events"] == [["Worse now.", "investigating", "major_outage"],
                                  ["Queries take seconds.", "investigating",
                                   "degraded_performance"]]
    assert stored.title == "Database down"
    assert stored.state == State.MAJOR_OUTAGE

    sdk("""
        page = runstatus.get_page(name="sdk-page")
        [incident] = list(page.incidents)
        incident.close("Fixed.")
        print(json.dumps(None))
    """)
    stored.refresh_from_db()
    assert stored.closed_at is not None
    assert stored.status == Status.RESOLVED

    work = sdk("""
        page = runstatus.get_page(name="sdk-page")
        start = dt.datetime(2031, 5, 1, 22, 0)
        page.add_maintenance("Upgrade", "PostgreSQL 17.", start, start + dt.timedelta(hours=2),
                             services=["Database"])
        [work] = list(page.maintenances)
        work.add_event("Moved by an hour.")
        work.update(start_date=dt.datetime(2031, 5, 1, 23, 0),
                    end_date=dt.datetime(2031, 5, 2, 1, 0))
        work.add_event("Started.", status="in-progress")
        [work] = list(page.maintenances)
        events = [[e.description, e.status] for e in work.events]
        print(json.dumps({"status": work.status, "start": work.start_date.isoformat(),
                          "events": events}))
    """)
    maintenance = Maintenance.objects.get(page__slug="sdk-page")
    assert work == {"status": "in-progress", "start": "2031-05-01T23:00:00",
                    "events": [["Started.", "in-progress"], ["Moved by an hour.", "scheduled"]]}
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert maintenance.ends_at.isoformat() == "2031-05-02T01:00:00+00:00"

    sdk("""
        page = runstatus.get_page(name="sdk-page")
        [work] = list(page.maintenances)
        work.close("Done.")
        page.update(title="SDK status", default_status_message="All good",
                    time_zone="Europe/Zurich")
        [service] = list(page.services)
        service.delete()
        print(json.dumps(None))
    """)
    maintenance.refresh_from_db()
    made.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert (made.title, made.default_status_message, made.time_zone) == (
        "SDK status", "All good", "Europe/Zurich")
    assert not Service.objects.filter(page=made).exists()

    remaining = sdk("""
        runstatus.get_page(name="sdk-page").delete()
        print(json.dumps([p.name for p in runstatus.list_pages()]))
    """)
    assert remaining == ["acme"]
    assert not Page.objects.filter(slug="sdk-page").exists()


def test_sdk_sees_api_errors(sdk: Step, page: Page) -> None:
    errors = sdk("""
        from exoscale.api import RequestError, ResourceNotFoundError
        found = []
        try:
            runstatus.create_page("acme")
        except RequestError as error:
            found.append(json.loads(error.reason))
        try:
            runstatus._get(url="/pages/acme/incidents/999")
        except ResourceNotFoundError:
            found.append("not found")
        print(json.dumps(found))
    """)

    assert errors == [{"subdomain": ["The slug 'acme' is already taken."]}, "not found"]
