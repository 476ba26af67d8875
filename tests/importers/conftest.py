"""Fixtures of the importer tests: the fixture files, the real data, and a command runner."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from heliograph.accounts.models import User
from heliograph.domain.models import (
    AuditEntry,
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
    ServiceGroup,
)
from heliograph.importers.models import ImportedObject

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STATUSPAGE = FIXTURES / "statuspage"
CACHET = FIXTURES / "cachet"
BAD = FIXTURES / "bad"
BAD_CACHET = FIXTURES / "bad-cachet"
REPOSITORY = Path(__file__).resolve().parents[2]
REAL_DATA = REPOSITORY.parent / "shared" / "data" / "real"
# The fixtures' times lie before this instant, and some maintenance windows after it.
FIXTURE_NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "corpus: imports a whole collection of real status-page data (slow)"
    )


def real_data(*parts: str) -> Path:
    """Return a path in the real status-page data beside the repository; fail if it is absent."""
    path = REAL_DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: the corpus tests read the real status-page data kept "
                    "beside the repository in shared/data/real.", pytrace=False)
    return path


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    """Freeze the clock at `FIXTURE_NOW`, after every time in the fixture files."""
    with time_machine.travel(FIXTURE_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def importer_user(db: None) -> User:
    return User.objects.create_user("importer@example.com", "correct horse 42")


@pytest.fixture
def run_import(importer_user: User) -> Callable[..., str]:
    """Run `heliograph-admin import` with the arguments given and return what it printed."""

    def run(*args: Any, stdout: Any = None) -> str:
        output = stdout if stdout is not None else StringIO()
        call_command("import", *[str(arg) for arg in args], stdout=output)
        return output.getvalue() if stdout is None else ""

    return run


@pytest.fixture
def import_error(importer_user: User) -> Callable[..., str]:
    """Run `heliograph-admin import` expecting it to stop; return its one-line message."""

    def run(*args: Any) -> str:
        with pytest.raises(CommandError) as raised:
            call_command("import", *[str(arg) for arg in args], stdout=StringIO())
        message = str(raised.value)
        assert "\n" not in message, message
        return message

    return run


@dataclass
class Site:
    """A local HTTP server that returns a fixed body for each path and records the requests.

    `headers` adds response headers by path, such as a redirect's Location.
    """

    base: str
    routes: dict[str, tuple[int, bytes]]
    requests: list[str] = field(default_factory=list)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def site() -> Iterator[Site]:
    """Serve `site.routes` on 127.0.0.1; a path that is not listed gets 404."""
    served = Site(base="", routes={})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append(self.path)
            status, body = served.routes.get(self.path, (404, b'{"error": "not found"}'))
            headers = {"Content-Type": "application/json", **served.headers.get(self.path, {})}
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def row_counts() -> dict[str, int]:
    """Return the number of rows of every table an import writes to."""
    return {
        "pages": Page.objects.count(),
        "groups": ServiceGroup.objects.count(),
        "services": Service.objects.count(),
        "incidents": Incident.objects.count(),
        "incident events": IncidentEvent.objects.count(),
        "maintenances": Maintenance.objects.count(),
        "maintenance events": MaintenanceEvent.objects.count(),
        "audit entries": AuditEntry.objects.count(),
        "import records": ImportedObject.objects.count(),
    }


def imported(page: Page, kind: str, external_id: str) -> Any:
    """Return the Heliograph object that a source object became on `page`."""
    record = ImportedObject.objects.get(page=page, kind=kind, external_id=external_id)
    model = {"group": ServiceGroup, "service": Service, "incident": Incident,
             "incident_update": IncidentEvent, "maintenance": Maintenance,
             "maintenance_update": MaintenanceEvent}[kind]
    return model.objects.get(pk=record.object_id)


def report_rows(output: str) -> dict[str, list[int]]:
    """Return the table an import prints: per kind, created, updated, unchanged and skipped."""
    rows = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) > 4 and line.startswith("  ") and all(word.isdigit() for word in words[-4:]):
            rows[" ".join(words[:-4])] = [int(word) for word in words[-4:]]
    return rows


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
