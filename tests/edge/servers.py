"""Real server processes, started as `heliograph-admin serve` starts Granian, and a page.

The processes share the SQLite database of the data directory, or a PostgreSQL database of
their own when DATABASE_URL names a PostgreSQL server; REDIS_URL reaches them when set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dj_database_url
import httpx
import psycopg

from heliograph.domain.management.commands.serve import granian_command
from tests.commands.conftest import stop_server

ADMIN = Path(sys.executable).with_name("heliograph-admin")
SLUG = "acme"

SET_UP = """
from heliograph.accounts.models import User
from heliograph.domain import pages
from heliograph.domain.audit import Actor

owner = User.objects.create_user("owner@example.com", "a long passphrase 42")
actor = Actor.of_user(owner)
page = pages.create_page("acme", title="Acme", owner=owner, actor=actor,
                         time_zone="Europe/Zurich")
service = pages.add_service(page, name="Website", actor=actor)
print(service.pk)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Site:
    """A data directory (and database) with the page `acme`, and the servers started on it."""

    environment: dict[str, str]
    service_id: int = 0
    token: str = ""
    servers: list[tuple[subprocess.Popen[bytes], int]] = field(default_factory=list)

    def admin(self, *args: str, environment: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [str(ADMIN), *args], env=environment or self.environment, capture_output=True,
            text=True, timeout=120, stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def shell(self, code: str, environment: dict[str, str] | None = None) -> str:
        return self.admin("shell", "--command", code, environment=environment)

    def serve(self, *, workers: int = 1, extra: dict[str, str] | None = None) -> str:
        """Start Granian as `heliograph-admin serve` does and return its URL once it responds.

        The template's data directory has its static files collected already, so the server
        is started without the command's collectstatic step.
        """
        port = free_port()
        log = Path(self.environment["HELIOGRAPH_DATA_DIR"]) / f"serve-{port}.log"
        environment = {**self.environment, "HELIOGRAPH_WEB_THREADS": "4", **(extra or {})}
        with log.open("wb") as output:
            server = subprocess.Popen(
                granian_command("127.0.0.1", port, workers), env=environment,
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.servers.append((server, port))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            try:
                httpx.get(f"{base}/healthz", timeout=5)
                return base
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"{base} did not respond within 60 s")

    def stop_servers(self) -> None:
        for server, _port in self.servers:
            stop_server(server)
        self.servers.clear()

    def open_incident(self, base: str, title: str) -> httpx.Response:
        """Open an incident on `acme` through the management API of the server at `base`."""
        response = httpx.post(
            f"{base}/api/v1/pages/{SLUG}/incidents",
            headers={"Authorization": f"Bearer {self.token}"},
            json={"title": title, "text": "We are looking into it.", "state": "major_outage",
                  "status": "investigating", "services": [self.service_id]},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        return response


def _environment(data_dir: Path, database_url: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"DATABASE_URL", "HELIOGRAPH_TASKS_IMMEDIATE", "DEBUG",
                                  "PYTEST_XDIST_WORKER"}}
    environment.update({
        "HELIOGRAPH_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "heliograph.settings",
        "HELIOGRAPH_ACCESS_LOG": "false",
    })
    if database_url:
        environment["DATABASE_URL"] = database_url
    # Responses stored in Redis by the servers of one test stay invisible to the next.
    environment["HELIOGRAPH_CACHE_PREFIX"] = f"edge-test-{uuid.uuid4().hex[:8]}"
    return environment


def _postgres_connect() -> dict[str, object] | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres", "pgsql")):
        return None
    config = dj_database_url.parse(url)
    return {"host": config.get("HOST") or None, "port": config.get("PORT") or None,
            "user": config.get("USER") or None, "password": config.get("PASSWORD") or None,
            "dbname": "postgres", "autocommit": True}


def _database_url(name: str) -> str:
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name


@dataclass
class Template:
    """A migrated data directory (and PostgreSQL database) with `acme`, copied per test."""

    data_dir: Path
    database: str
    service_id: int
    token: str


@contextmanager
def template(data_dir: Path) -> Iterator[Template]:
    """Build the template once: migrate, collect static files, create the page and a token."""
    connect = _postgres_connect()
    database = ""
    if connect is not None:
        base_name = dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"]
        database = f"{base_name}_edge_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(**connect) as connection:  # type: ignore[arg-type]
            connection.execute(f'CREATE DATABASE "{database}"')
    try:
        built = Site(_environment(data_dir, _database_url(database) if database else ""))
        built.admin("migrate", "--verbosity", "0")
        built.admin("collectstatic", "--noinput", "--verbosity", "0")
        service_id = int(built.shell(SET_UP).strip().splitlines()[-1])
        token = built.admin(
            "token", "create", "--email", "owner@example.com", "--page", SLUG, "--write"
        ).strip().splitlines()[-1]
        yield Template(data_dir, database, service_id, token)
    finally:
        if connect is not None:
            with psycopg.connect(**connect) as connection:  # type: ignore[arg-type]
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def site(source: Template, data_dir: Path) -> Iterator[Site]:
    """Yield a copy of the template: its data directory, and its database on PostgreSQL."""
    shutil.copytree(source.data_dir, data_dir)
    connect = _postgres_connect()
    database = ""
    if connect is not None:
        database = f"{source.database}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(**connect) as connection:  # type: ignore[arg-type]
            connection.execute(f'CREATE DATABASE "{database}" TEMPLATE "{source.database}"')
    result = Site(_environment(data_dir, _database_url(database) if database else ""),
                  service_id=source.service_id, token=source.token)
    try:
        yield result
    finally:
        result.stop_servers()
        if connect is not None:
            with psycopg.connect(**connect) as connection:  # type: ignore[arg-type]
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def wait_for(url: str, text: str, *, timeout: float, headers: dict[str, str] | None = None
             ) -> float:
    """Poll `url` until its body contains `text`; return the seconds it took."""
    started = time.monotonic()
    while True:
        response = httpx.get(url, headers=headers, timeout=10)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        if text in response.text:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{url} did not show {text!r} within {timeout} s")
        time.sleep(0.02)
