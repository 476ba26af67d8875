"""Throughput of the warm demo front page: Heliograph against nginx serving a static export.

    .venv/bin/python bench/front_page.py [--seconds 10] [--wsgi]

The script builds the demo in a temporary data directory (SQLite), starts
`heliograph-admin serve` (2 worker processes) and an nginx of its own (2 worker processes) on
the bytes of `heliograph-admin export`, warms both, then loads each in turn with
`wrk -t2 -c50 -d10s` on `/p/demo/` and `/index.html`. It prints requests per second, the 99th
percentile latency, error responses, the ratio to nginx, and the resident memory of each
Heliograph worker process. `--wsgi` also measures the server setup used before the cache
layer (Granian WSGI, 8 threads per worker, no response cache).

Targets: at least 0.6 of nginx's requests per second, p99 under 10 ms, under 150 MiB per web
process. Needs wrk and nginx (Debian packages `wrk`, `nginx`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from edge_servers import (
    Process,
    WrkResult,
    admin,
    environment,
    machine,
    nginx,
    serve,
    wrk,
)

FRONT = "/p/demo/"


def fetch(url: str, **headers: str) -> bytes:
    response = httpx.get(url, headers=headers, timeout=30)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} failed: {response.status_code}")
    return response.content


def load(process: Process, path: str, seconds: int) -> WrkResult:
    # Warm-up: the first requests render, compile templates and fill the cache.
    for _ in range(20):
        fetch(process.base + path)
    wrk(process.base + path, seconds=2)
    return wrk(process.base + path, seconds=seconds)


def report(name: str, result: WrkResult, reference: WrkResult | None) -> None:
    ratio = 1.0
    if reference is not None:
        ratio = result.requests_per_second / reference.requests_per_second
    print(f"{name:<28} {result.requests_per_second:>10.0f} req/s   p99 {result.p99_ms:>7.2f} ms"
          f"   errors {result.errors:>5}   ratio to nginx {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--wsgi", action="store_true",
                        help="also measure Granian WSGI without the response cache")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (data, export, logs)")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="heliograph-front-"))
    # nginx's worker processes run as another user, which must read the export.
    work.chmod(0o755)
    running: list[Process] = []
    try:
        env = environment(work / "data")
        admin(env, "migrate", "--verbosity", "0")
        admin(env, "demo")
        # The export links the hashed static file names, which collectstatic writes.
        admin(env, "collectstatic", "--noinput", "--verbosity", "0")
        admin(env, "export", "--page", "demo", str(work / "export"))
        print(machine())

        heliograph = serve(env, work)
        running.append(heliograph)
        static = nginx((work / "export").resolve(), work / "nginx")
        running.append(static)

        served = fetch(heliograph.base + FRONT)
        exported = fetch(static.base + "/index.html")
        print(f"front page: {len(served)} bytes from Heliograph, {len(exported)} bytes from "
              "the export")

        reference = load(static, "/index.html", options.seconds)
        report("nginx (static export)", reference, None)
        result = load(heliograph, FRONT, options.seconds)
        report("heliograph serve (ASGI)", result, reference)
        print("heliograph worker RSS: "
              + ", ".join(f"{size:.0f} MiB" for size in heliograph.rss_mib()))
        heliograph.stop()

        if options.wsgi:
            before = serve(env, work, wsgi=True)
            running.append(before)
            report("granian WSGI, no cache", load(before, FRONT, options.seconds), reference)
    finally:
        for process in running:
            process.stop()
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
