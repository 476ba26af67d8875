"""Call `advance_due_maintenances` from several processes at once, as worker processes do.

Run from the repository root, with the settings pointing at a database that already contains the
maintenances:

    python -m tests.domain.advance_race READY_DIR WORKERS NOW [NOW ...]

For each NOW in turn, the process waits until WORKERS processes are ready, calls
`advance_due_maintenances(NOW)`, and prints the number of events it added. Times are ISO 8601
with a UTC offset.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

import django

BARRIER_TIMEOUT_SECONDS = 30


def wait_for_workers(round_dir: Path, workers: int) -> None:
    round_dir.mkdir(parents=True, exist_ok=True)
    (round_dir / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + BARRIER_TIMEOUT_SECONDS
    while len(list(round_dir.iterdir())) < workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {workers} workers in {round_dir}")
        time.sleep(0.001)


def main(argv: list[str]) -> None:
    ready_dir, workers, *moments = argv
    django.setup()
    from django.db import connection

    from heliograph.domain.maintenances import advance_due_maintenances

    connection.ensure_connection()
    counts = []
    for number, moment in enumerate(moments):
        wait_for_workers(Path(ready_dir) / f"round-{number}", int(workers))
        counts.append(len(advance_due_maintenances(dt.datetime.fromisoformat(moment))))
    print(*counts)


if __name__ == "__main__":
    main(sys.argv[1:])
