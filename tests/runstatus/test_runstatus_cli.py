"""The real `runstatus-cli` 0.3 (PyPI) drives a page through a whole incident.

Its pinned dependencies (click 6.7, requests 2.14) no longer import on current Python, so it
is installed with `--no-deps` beside current `requests`, `click` and `requests-exoscale-auth`
in a throwaway environment, once per session. It reads `~/.runstatus` (lines `name = value`
with `page`, `key`, `secret` and optionally `endpoint`), so each test gives it its own HOME.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from heliograph.domain.models import AuditEntry, Incident, Page, Service
from heliograph.domain.vocab import State, Status
from tests.runstatus.conftest import LiveApi, client_environment
from tests.venvs import make_venv

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def runstatus_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bin_dir = make_venv(tmp_path_factory.mktemp("runstatus-cli") / "venv",
                        ["requests", "click", "requests-exoscale-auth"],
                        no_deps=["runstatus-cli==0.3"])
    return bin_dir / "runstatus"


@pytest.fixture
def runstatus(runstatus_program: Path, live_api: LiveApi, tmp_path: Path) -> Run:
    """Return a function that runs `runstatus ARGS...` configured for the page `acme`."""
    home = tmp_path / "home"
    home.mkdir()
    config = home / ".runstatus"

    def run(*args: str, page: str = "acme", secret: str | None = None,
            endpoint: str | None = None) -> subprocess.CompletedProcess[str]:
        config.write_text(f"page = {page}\nkey = {live_api.key}\n"
                          f"secret = {secret or live_api.secret}\n"
                          f"endpoint = {endpoint or live_api.endpoint}\n")
        return subprocess.run([str(runstatus_program), *args], env=client_environment(home),
                              capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, check=False)

    return run


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_whole_incident(runstatus: Run, page: Page) -> None:
    """info, services add, create, update, resolve, services remove, checked in the database."""
    assert "[operational]" in succeeded(runstatus("info"))

    assert "Added service 'API'." in succeeded(runstatus("services", "add", "API"))
    succeeded(runstatus("services", "add", "Website"))
    assert list(Service.objects.filter(page=page).values_list("name", flat=True)) == [
        "API", "Website"]

    created = succeeded(runstatus(
        "create", "--title", "API errors", "--services", "API", "--status", "investigating",
        "--state", "partial_outage", "--text", "Some requests fail."))
    incident = Incident.objects.get(page=page)
    assert f"Incident #{incident.pk} created" in created
    assert incident.closed_at is None
    assert incident.title == "API errors"
    assert (incident.state, incident.status) == (State.PARTIAL_OUTAGE, Status.INVESTIGATING)
    assert list(incident.services.values_list("name", flat=True)) == ["API"]
    assert incident.latest_event is not None
    assert incident.latest_event.text == "Some requests fail."
    assert "via Runstatus key" in AuditEntry.objects.get(action="incident.open").actor_label

    summary = succeeded(runstatus("info"))
    assert f"#{incident.pk} - API errors" in summary
    assert "API\t[partial_outage]" in summary
    assert "Some requests fail." in summary

    assert "Incident updated." in succeeded(runstatus(
        "update", str(incident.pk), "--status", "identified", "--state", "major_outage",
        "--text", "A bad deploy; rolling back."))
    incident.refresh_from_db()
    assert (incident.state, incident.status) == (State.MAJOR_OUTAGE, Status.IDENTIFIED)
    assert incident.events.count() == 2

    succeeded(runstatus("resolve", str(incident.pk), "--text", "Rolled back; all fine."))
    incident.refresh_from_db()
    assert incident.closed_at is not None
    assert (incident.state, incident.status) == (State.OPERATIONAL, Status.RESOLVED)
    assert incident.latest_event is not None
    assert incident.latest_event.text == "Rolled back; all fine."

    assert "Removed service 'Website'." in succeeded(runstatus("services", "remove", "Website"))
    assert list(Service.objects.filter(page=page).values_list("name", flat=True)) == ["API"]

    after = succeeded(runstatus("info"))
    assert "Open incidents" not in after
    assert "API\t[operational]" in after


def test_create_without_services(runstatus: Run, page: Page) -> None:
    succeeded(runstatus("create", "--title", "Slow", "--services", "", "--status",
                        "monitoring", "--state", "degraded_performance", "--text", "Slow."))

    incident = Incident.objects.get(page=page)
    assert incident.services.count() == 0
    assert incident.status == Status.MONITORING


def test_rejected_requests_reported(runstatus: Run, page: Page) -> None:
    succeeded(runstatus("services", "add", "API"))

    duplicate = runstatus("services", "add", "api")
    unknown = runstatus("services", "remove", "Nothing")
    unknown_service = runstatus("create", "--title", "x", "--services", "Billing", "--status",
                                "investigating", "--state", "major_outage", "--text", "x")

    assert duplicate.returncode == 1
    assert "API returned HTTP 400" in duplicate.stdout
    assert "already exists" in duplicate.stdout
    assert unknown.returncode == 1
    assert "Unknown service: 'Nothing'" in unknown.stdout
    assert unknown_service.returncode == 1
    # The client prints the body as a bytes literal, which escapes the quotes.
    assert "No service named \\'Billing\\'" in unknown_service.stdout
    assert not Incident.objects.exists()


def test_update_closed_incident_reported(runstatus: Run, page: Page) -> None:
    succeeded(runstatus("create", "--title", "x", "--services", "", "--status",
                        "investigating", "--state", "major_outage", "--text", "x"))
    incident = Incident.objects.get()
    succeeded(runstatus("resolve", str(incident.pk), "--text", "Done."))

    again = runstatus("update", str(incident.pk), "--status", "identified", "--state",
                      "major_outage", "--text", "Back?")

    assert again.returncode == 1
    assert f"Error updating incident #{incident.pk}. API returned HTTP 400" in again.stdout
    assert incident.events.count() == 2


def test_wrong_secret_rejected(runstatus: Run, page: Page) -> None:
    result = runstatus("info", secret="not-the-secret")

    assert result.returncode == 1
    assert "status code was 403" in result.stdout


def test_page_of_someone_else_rejected(runstatus: Run, page: Page, outsider: object) -> None:
    result = runstatus("services", "add", "Mine", page="other")

    assert result.returncode == 1
    assert "HTTP 403" in result.stdout
    assert not Service.objects.exists()


def test_endpoint_with_trailing_slash(runstatus: Run, live_api: LiveApi, page: Page) -> None:
    """The client then requests /runstatus//pages/acme, which is served all the same."""
    result = runstatus("services", "add", "API", endpoint=f"{live_api.endpoint}/")

    assert "Added service 'API'." in succeeded(result)
    assert Service.objects.filter(page=page, name="API").exists()
