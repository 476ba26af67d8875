"""PostgreSQL and Redis servers started by the tests themselves, on free ports of 127.0.0.1.

A test that stops or restarts a server uses one of these, so that the machine's own servers
(and the databases of other test runs) are never touched. PostgreSQL refuses to run as root,
so when the tests run as root its commands run as the `postgres` OS user through runuser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg
import pytest
import redis

from tests.edge.servers import free_port

# The directory of Debian's PostgreSQL 15 programs. PG_BIN names another one that contains
# initdb and pg_ctl.
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class PostgresInstance:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1:`port`."""

    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def pg_ctl(self, *args: str) -> None:
        # fsync off: the clusters are thrown away, so they never need a crash-safe disk.
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off")
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                   "-l", str(self.directory / "server.log"), "-o", options, *args]
        result = subprocess.run(_as_postgres(command), capture_output=True, text=True,
                                timeout=90, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, (args, result.stdout, result.stderr, self.log())

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    @property
    def server_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"


@contextmanager
def postgres_instance() -> Iterator[PostgresInstance]:
    """Run initdb into a temporary directory, start the cluster, and stop it afterwards."""
    initdb = PG_BIN / "initdb"
    if not initdb.exists():
        pytest.fail(f"{initdb} is missing: install PostgreSQL 15 (apt-get install postgresql-15) "
                    "or set PG_BIN to the directory that contains initdb and pg_ctl")
    # Under /tmp rather than pytest's tmp_path, whose parents only the current user may enter.
    directory = Path(tempfile.mkdtemp(prefix="heliograph-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    instance = PostgresInstance(directory, free_port())
    try:
        result = subprocess.run(
            _as_postgres([str(initdb), "-D", str(instance.data), "-U", "postgres",
                          "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]),
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, result.stderr
        instance.pg_ctl("start")
        yield instance
    finally:
        if (instance.data / "postmaster.pid").exists():
            instance.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def database_on(server_url: str, base_name: str) -> Iterator[str]:
    """Create a database named `base_name` plus a random suffix on the PostgreSQL server at
    `server_url` (a URL without a database), yield its URL, and drop it afterwards."""
    name = f"{base_name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=5) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine_postgres() -> tuple[str, str] | None:
    """Return DATABASE_URL's server URL and database name, or None when it is not PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres", "pgsql")):
        return None
    return url.rsplit("/", 1)[0], str(dj_database_url.parse(url)["NAME"])


@contextmanager
def redis_instance(directory: Path) -> Iterator[str]:
    """Start redis-server on a free port without persistence, and yield its URL (database 0)."""
    if not Path(REDIS_SERVER).exists():
        pytest.fail("redis-server is missing: install Redis (apt-get install redis-server)")
    port = free_port()
    log = directory / f"redis-{port}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(directory)],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, log.read_text()
            try:
                redis.Redis.from_url(url, socket_timeout=1).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
