"""Fixtures of the export tests: the acme page with one of everything, on a frozen clock."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import time_machine

from heliograph.console import logos
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import State, Status

NOW = dt.datetime(2026, 6, 15, 17, 0, tzinfo=dt.UTC)
HOST = "acme.localhost"
LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        b'<rect width="10" height="10"/></svg>')
# More closed incidents than one history page lists, so the history has a second page.
PAST_INCIDENTS = 23


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@dataclass
class Site:
    page: Page
    services: list[Service]
    open_incident: Incident
    past: list[Incident]
    maintenances: list[Maintenance]


@pytest.fixture
def site(page: Page, actor: Actor) -> Site:
    """Fill the acme page: a group, services, open and past incidents, maintenances, a logo."""
    start = (NOW - dt.timedelta(days=120)).date()
    group = pages.add_group(page, name="Core", actor=actor)
    api = pages.add_service(page, name="API", group=group, start_date=start, actor=actor)
    web = pages.add_service(page, name="Website", group=group, start_date=start, actor=actor)
    mail = pages.add_service(page, name="Mail", start_date=start, actor=actor)

    past = []
    for number in range(PAST_INCIDENTS):
        began = NOW - dt.timedelta(days=3 + 4 * number, hours=5)
        past.append(incidents.backfill_incident(
            page, title=f"Outage number {number + 1}", services=[api, mail], actor=actor,
            events=[
                PastEvent(at=began, status=Status.INVESTIGATING, text="Errors **rise**.",
                          state=State.MAJOR_OUTAGE),
                PastEvent(at=began + dt.timedelta(minutes=40), status=Status.RESOLVED,
                          text="Fixed."),
            ],
        ))
    current = incidents.open_incident(
        page, title="Slow website", text="Pages load *slowly*.",
        state=State.DEGRADED_PERFORMANCE, status=Status.INVESTIGATING, services=[web],
        at=NOW - dt.timedelta(hours=1), actor=actor,
    )

    done = maintenances.schedule_maintenance(
        page, title="Database upgrade", description="We upgrade the database.",
        starts_at=NOW - dt.timedelta(days=2), ends_at=NOW - dt.timedelta(days=2, hours=-1),
        services=[api], actor=actor,
    )
    maintenances.close_maintenance(done, text="Done.", actor=actor)
    upcoming = maintenances.schedule_maintenance(
        page, title="Network work", description="Routers are replaced.",
        starts_at=NOW + dt.timedelta(days=3), ends_at=NOW + dt.timedelta(days=3, hours=2),
        services=[web, mail], actor=actor,
    )
    logos.store(page, logos.CleanLogo(content=LOGO, extension="svg", width=None, height=None),
                actor=actor)
    page.refresh_from_db()
    return Site(page=page, services=[api, web, mail], open_incident=current, past=past,
                maintenances=[done, upcoming])


@pytest.fixture
def serve() -> Iterator[Any]:
    """Serve a directory with Python's http.server on 127.0.0.1; return its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(directory: Path) -> str:
        handler = partial(_QuietHandler, directory=str(directory))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass
