"""Time the import and the static export of GitHub's real incident history (1,282 incidents).

Runs the real commands in a fresh data directory, each as its own process, and prints the
seconds of each:

1. `heliograph-admin import statuspage --page github --owner ...` of every incident file;
2. the same import again, which finds everything unchanged;
3. `heliograph-admin export --page github DIR`, the whole public site as static files.

    .venv/bin/python bench/import_export.py
    .venv/bin/python bench/import_export.py --data PATH/TO/github-incident-history/incidents

The data is the public-domain github-incident-history collection, kept beside the repository
in shared/data/real (see its README).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADMIN = REPO / ".venv" / "bin" / "heliograph-admin"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "real" / "github-incident-history" / "incidents"
OWNER = "bench@example.com"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"folder of Statuspage incident files (default: {DEFAULT_DATA})")
    parser.add_argument("--postgres", metavar="URL",
                        help="DATABASE_URL of an empty PostgreSQL database to use")
    options = parser.parse_args(argv)
    if not options.data.is_dir():
        print(f"--data: {options.data} is not a folder; give the folder of incident files.",
              file=sys.stderr)
        return 2
    files = len(list(options.data.glob("*.json")))

    with tempfile.TemporaryDirectory(prefix="heliograph-import-export-") as data_dir:
        env = {**os.environ, "HELIOGRAPH_DATA_DIR": data_dir, "LOG_LEVEL": "WARNING"}
        env.pop("REDIS_URL", None)
        if options.postgres:
            env["DATABASE_URL"] = options.postgres
        else:
            env.pop("DATABASE_URL", None)

        def run(*arguments: str, stdin: str | None = None) -> tuple[float, str]:
            started = time.perf_counter()
            result = subprocess.run([str(ADMIN), *arguments], env=env, input=stdin, text=True,
                                    capture_output=True, check=False)
            elapsed = time.perf_counter() - started
            if result.returncode != 0:
                print(result.stdout, result.stderr, file=sys.stderr)
                raise SystemExit(f"heliograph-admin {arguments[0]} failed")
            return elapsed, result.stdout

        run("migrate", "-v0")
        run("collectstatic", "--noinput", "-v0")
        run("createuser", "--email", OWNER, "--password-stdin", stdin="bench password 1234\n")
        first, report = run("import", "statuspage", "--page", "github", "--owner", OWNER,
                            str(options.data))
        again, _ = run("import", "statuspage", "--page", "github", str(options.data))
        target = Path(data_dir) / "export" / "github"
        target.parent.mkdir()
        exported, summary = run("export", "--page", "github", str(target))

    print(f"Import and export of {files} Statuspage incident files from {options.data} "
          f"({'PostgreSQL' if options.postgres else 'SQLite'}):")
    print(report.rstrip())
    print()
    print("| step | seconds |")
    print("| --- | ---: |")
    print(f"| import (all new) | {first:.1f} |")
    print(f"| import again (all unchanged) | {again:.1f} |")
    print(f"| static export | {exported:.1f} |")
    print()
    print(summary.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
