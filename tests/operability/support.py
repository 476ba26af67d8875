"""Run a short Django script in a fresh Python process with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def run_django(script: str, data_dir: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run `script` after `django.setup()`, with settings read from `environment`.

    DATABASE_URL and REDIS_URL are dropped unless given, so the process uses SQLite and the
    in-process cache under `data_dir` by default.
    """
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"}}
    env.update({"DJANGO_SETTINGS_MODULE": "heliograph.settings",
                "HELIOGRAPH_DATA_DIR": str(data_dir), **environment})
    prelude = "import django\ndjango.setup()\n"
    return subprocess.run([sys.executable, "-c", prelude + script], env=env, cwd=REPOSITORY,
                          capture_output=True, text=True, timeout=60, check=False)
