"""A real installation for the live-server tests: its own data directory (or PostgreSQL
database), migrated and seeded, served by `heliograph-admin serve` (Granian, several worker
processes) on a free port of 127.0.0.1.

With DATABASE_URL set, the installation uses the database named there with "_live" (and the
pytest-xdist worker's name) added. That database is dropped and created again for each test
session. With REDIS_URL set, the installation shares that Redis database.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ADMIN = Path(sys.executable).with_name("heliograph-admin")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Install:
    """A running installation: its address, environment, seeded values and server log."""

    url: str
    port: int
    env: dict[str, str]
    seed: dict[str, Any]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _live_database_url(url: str) -> str:
    """Return DATABASE_URL with "_live" added to its database name, after recreating it
    empty."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    # Each pytest-xdist worker starts its own installation, so each gets its own database.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"{config['NAME']}_live{'_' + worker if worker else ''}"
    with psycopg.connect(host=config.get("HOST") or None, port=config.get("PORT") or None,
                         user=config.get("USER") or None,
                         password=config.get("PASSWORD") or None, dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    head, _, _old = url.rpartition("/")
    return f"{head}/{name}"


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def _wait_until_serving(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n"
                               f"{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not listen on port {port} within 90 s")


@pytest.fixture(scope="session")
def live_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Install]:
    """Start one installation for the whole test session and stop it at the end."""
    data_dir = tmp_path_factory.mktemp("live-install")
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "ALLOWED_HOSTS", "HELIOGRAPH_DEFAULT_PAGE")}
    env.update({
        "HELIOGRAPH_DATA_DIR": str(data_dir),
        "HELIOGRAPH_BASE_URL": f"http://127.0.0.1:{port}",
        "HELIOGRAPH_DOMAIN": "localhost",
        # Custom domains are allowed by a leading-dot pattern: an exact name in ALLOWED_HOSTS
        # would be one of the main host's names, which serve no page.
        "ALLOWED_HOSTS": "localhost,.localhost,127.0.0.1,.acme.example,"
                         ".secret.example",
        "DJANGO_SETTINGS_MODULE": "heliograph.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")):
        env["DATABASE_URL"] = _live_database_url(os.environ["DATABASE_URL"])

    _run([str(ADMIN), "migrate", "--no-input", "-v", "0"], env)
    seed = json.loads(_run([sys.executable, "-m", "tests.concurrency.seed"], env))

    log = data_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(ADMIN), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
             "--threads", "4"],
            env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(port, process, log)
        yield Install(f"http://127.0.0.1:{port}", port, env, seed, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
