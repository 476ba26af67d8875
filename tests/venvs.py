"""Throwaway virtual environments for third-party clients that the tests drive as programs.

Clients such as `runstatus-cli` or `statuscheck` pin dependencies that conflict with ours, so
each gets its own environment, installed from the package index once per test session.
"""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

# pip's own timeout per request, in seconds; a slow index fails the install, not the suite.
PIP_TIMEOUT = 60


def make_venv(
    directory: Path, packages: list[str], *, no_deps: list[str] | None = None
) -> Path:
    """Create a virtual environment in `directory` with `packages`; return its `bin` folder.

    `no_deps` are installed afterwards with `--no-deps`, for a package whose declared
    requirements no longer install but whose code runs with the current `packages`.
    A failed install fails the calling test with pip's output.
    """
    venv.EnvBuilder(with_pip=True, clear=True).create(directory)
    bin_dir = directory / "bin"
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check", "--timeout", str(PIP_TIMEOUT)]
    steps = [pip + packages]
    if no_deps:
        steps.append([*pip, "--no-deps", *no_deps])
    for command in steps:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.fail(
                f"Installing {' '.join(command[7:])} from the package index failed "
                f"(exit {result.returncode}):\n{result.stdout}\n{result.stderr}",
                pytrace=False,
            )
    return bin_dir

