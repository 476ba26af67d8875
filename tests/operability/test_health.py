"""`/healthz` and `/readyz`: liveness without the database, readiness of each dependency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.operability.support import run_django

# Nothing listens on port 1 of the loopback address, so connections to it are refused at once.
CLOSED = "127.0.0.1:1"
READYZ_SCRIPT = """
import json
from django.test import Client
response = Client(HTTP_HOST="127.0.0.1").get("/readyz")
print(json.dumps({"status": response.status_code, "body": json.loads(response.content)}))
"""


def test_healthz_uses_no_database() -> None:
    """Without the django_db mark, pytest-django makes any database access raise."""
    response = Client(HTTP_HOST="127.0.0.1").get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"


def test_healthz_any_host() -> None:
    """A load balancer may probe with the machine's address, which ALLOWED_HOSTS lacks."""
    response = Client(HTTP_HOST="10.20.30.40:8000").get("/healthz")
    assert response.status_code == 200


def test_healthz_rejects_post() -> None:
    assert Client().post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_all_parts_ready() -> None:
    response = Client(HTTP_HOST="10.20.30.40").get("/readyz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body == {"status": "ready",
                    "checks": {"database": "ok", "cache": "ok", "queue": "ok"}}


def readyz_in_process(tmp_path: Path, **environment: str) -> dict[str, Any]:
    result = run_django(READYZ_SCRIPT, tmp_path, **environment)
    assert result.returncode == 0, result.stderr[-2000:]
    output: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return output


def test_readyz_names_failed_database(tmp_path: Path) -> None:
    answer = readyz_in_process(tmp_path, DATABASE_URL=f"postgres://postgres@{CLOSED}/nothing")
    assert answer["status"] == 503
    assert answer["body"]["status"] == "unavailable"
    assert answer["body"]["failed"] == ["database"]
    assert answer["body"]["checks"]["database"].startswith("failed (")
    assert answer["body"]["checks"]["cache"] == "ok"
    assert answer["body"]["checks"]["queue"] == "ok"


def test_readyz_names_failed_redis(tmp_path: Path) -> None:
    """REDIS_URL sets both the cache and the queue, so both are reported."""
    answer = readyz_in_process(tmp_path, REDIS_URL=f"redis://{CLOSED}/3")
    assert answer["status"] == 503
    assert answer["body"]["failed"] == ["cache", "queue"]
    assert answer["body"]["checks"]["database"] == "ok"


def test_readyz_failure_logged(tmp_path: Path) -> None:
    result = run_django(READYZ_SCRIPT, tmp_path, REDIS_URL=f"redis://{CLOSED}/3")
    assert "Readiness check of the cache failed" in result.stderr
    assert "Readiness check of the queue failed" in result.stderr
