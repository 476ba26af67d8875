"""`heliograph-admin serve` with two worker processes: one scrape counts the requests of both."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.commands.conftest import stop_server
from tests.operability.support import REPOSITORY

ADMIN = REPOSITORY / ".venv" / "bin" / "heliograph-admin"
REQUESTS = 30
# Above Linux's largest process id, so no running process has it.
ENDED_PROCESS_FILE = "counter_99999999.db"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR",
                          "DJANGO_SETTINGS_MODULE"}}
    env.update({"HELIOGRAPH_DATA_DIR": str(data_dir), "HELIOGRAPH_LOG_FORMAT": "json"})
    return env


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Start `serve --workers 2` on a fresh SQLite data directory; yield its URL and log."""
    env = environment(tmp_path)
    subprocess.run([str(ADMIN), "migrate", "-v0"], env=env, check=True, timeout=120)
    (tmp_path / "metrics").mkdir(exist_ok=True)
    (tmp_path / "metrics" / ENDED_PROCESS_FILE).write_bytes(b"left by an ended process")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(ADMIN), "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
            env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # Granian does not stop while a worker is still starting, so the fixture waits
                # for both before it lets the test, and then the teardown, go on.
                if (httpx.get(f"{url}/healthz", timeout=2).status_code == 200
                        and log.read_text().count("[INFO] Started worker-") == 2):
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(log.read_text()[-3000:])
                time.sleep(0.2)
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(log.read_text()[-3000:]) from None
                time.sleep(0.2)
        yield url, log
    finally:
        if not stop_server(process):
            raise AssertionError("serve did not stop within 20 s of SIGTERM:\n"
                                 + log.read_text()[-3000:])


def test_scrape_adds_up_workers(server: tuple[str, Path], tmp_path: Path) -> None:
    url, log = server
    for number in range(REQUESTS):
        response = httpx.get(f"{url}/accounts/login/", timeout=10,
                             headers={"X-Request-ID": f"run-{number}"})
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == f"run-{number}"
    text = httpx.get(f"{url}/metrics", timeout=10).text
    counted = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (sample.name == "heliograph_http_requests_total"
                    and sample.labels.get("route") == "accounts:login"):
                counted += sample.value
    assert counted == REQUESTS
    # Both worker processes wrote metric files, so both served some of the requests.
    writers = {path.stem.split("_")[-1] for path in (tmp_path / "metrics").glob("counter_*.db")}
    assert len(writers) >= 2

    time.sleep(0.5)
    access = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry["logger"] == "heliograph.access":
                access.append(entry)
    logged_ids = {entry["request_id"] for entry in access}
    assert {f"run-{number}" for number in range(REQUESTS)} <= logged_ids


def test_serve_removes_ended_metric_files(
        server: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = server
    assert not (tmp_path / "metrics" / ENDED_PROCESS_FILE).exists()
    assert httpx.get(f"{url}/metrics", timeout=10).status_code == 200
