"""Fixtures for running `heliograph-admin` as a separate process, the way an operator does.

Those processes use SQLite and the SQLite task queue in a data directory of their own, even
when DATABASE_URL and REDIS_URL are set, because they cannot see the test database of the
pytest process. The in-process tests (call_command) cover the configured database.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ADMIN = Path(sys.executable).with_name("heliograph-admin")
# Variables of the pytest process that must not reach the command under test.
DROPPED = ("DATABASE_URL", "REDIS_URL", "HELIOGRAPH_TASKS_IMMEDIATE", "DEBUG")

Run = Callable[..., subprocess.CompletedProcess[str]]


def admin_environment(data_dir: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in DROPPED}
    environment["HELIOGRAPH_DATA_DIR"] = str(data_dir)
    environment["DJANGO_SETTINGS_MODULE"] = "heliograph.settings"
    environment.pop("PYTEST_XDIST_WORKER", None)
    return environment


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a data directory with a migrated database, made once per test process."""
    data_dir = tmp_path_factory.mktemp("migrated")
    subprocess.run([str(ADMIN), "migrate", "--verbosity", "0"], env=admin_environment(data_dir),
                   check=True, timeout=120)
    return data_dir


@pytest.fixture
def data_dir(migrated_template: Path, tmp_path: Path) -> Path:
    """Return a fresh copy of the migrated data directory."""
    copy = tmp_path / "data"
    shutil.copytree(migrated_template, copy)
    return copy


@pytest.fixture
def admin(data_dir: Path) -> Run:
    """Run `heliograph-admin ARGS...` on the test's data directory and return the result."""

    def run(*args: str, input: str | None = None, timeout: float = 60,
            **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ADMIN), *args], env=admin_environment(data_dir), capture_output=True,
            text=True, input=input, timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL, **kwargs,
        )

    return run


def stop_server(server: subprocess.Popen[Any]) -> bool:
    """Stop Granian as a supervisor does: SIGTERM to the main process, which stops the workers.

    Return False when it was still running 20 s later and had to be killed.
    """
    if server.poll() is not None:
        return True
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        return False
    return True
