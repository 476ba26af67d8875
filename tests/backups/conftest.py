"""Fixtures of the backup and portability tests: separate installations run as processes."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.commands.conftest import ADMIN, admin_environment, migrated_template

__all__ = ["migrated_template"]

Installation = Callable[..., subprocess.CompletedProcess[str]]


def run_admin(data_dir: Path, *args: str, input: str | None = None, timeout: float = 120,
              environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `heliograph-admin ARGS...` on the installation in `data_dir`."""
    return subprocess.run(
        [str(ADMIN), *args], env={**admin_environment(data_dir), **(environment or {})},
        capture_output=True, text=True, input=input, timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


@pytest.fixture
def new_installation(migrated_template: Path, tmp_path: Path) -> Callable[[str], Path]:
    """Return a function that copies the migrated template into a new data directory."""

    def make(name: str) -> Path:
        copy = tmp_path / name
        shutil.copytree(migrated_template, copy)
        return copy

    return make


def expect_ok(result: subprocess.CompletedProcess[Any]) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)
