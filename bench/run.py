"""Compare HTTP servers for Heliograph: requests per second and latency under wrk.

Each server runs Heliograph (with the two endpoints of bench/urls.py) with 2 worker processes
on 127.0.0.1, and wrk loads it for a fixed time. The servers take turns, round after round, so
that a burst of other work on the machine hits all of them alike. The script prints, per
endpoint, each server's median requests per second relative to the fastest.

    python bench/run.py                      # servers installed in this interpreter
    python bench/run.py --python /tmp/venv/bin/python --duration 15

Servers missing from the interpreter are skipped. Needs `wrk` (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WORKERS = "2"
ENDPOINTS = ("/bench/status.json", "/bench/services.json")


@dataclass(frozen=True)
class ServerSpec:
    name: str
    module: str
    args: tuple[str, ...]


SERVERS = (
    ServerSpec("granian-wsgi", "granian", (
        "--interface", "wsgi", "--workers", WORKERS, "--no-ws", "--host", HOST, "--port", "{port}",
        "heliograph.wsgi:application")),
    ServerSpec("granian-wsgi-8-threads", "granian", (
        "--interface", "wsgi", "--workers", WORKERS, "--blocking-threads", "8", "--no-ws",
        "--host", HOST, "--port", "{port}", "heliograph.wsgi:application")),
    ServerSpec("granian-wsgi-5-threads", "granian", (
        "--interface", "wsgi", "--workers", WORKERS, "--blocking-threads", "5", "--no-ws",
        "--host", HOST, "--port", "{port}", "heliograph.wsgi:application")),
    ServerSpec("granian-asgi", "granian", (
        "--interface", "asgi", "--workers", WORKERS, "--no-ws", "--host", HOST, "--port", "{port}",
        "heliograph.asgi:application")),
    ServerSpec("gunicorn-sync", "gunicorn", (
        "--workers", WORKERS, "--bind", f"{HOST}:{{port}}", "heliograph.wsgi:application")),
    ServerSpec("gunicorn-gthread", "gunicorn", (
        "--workers", WORKERS, "--worker-class", "gthread", "--threads", "8",
        "--bind", f"{HOST}:{{port}}", "heliograph.wsgi:application")),
    ServerSpec("uvicorn", "uvicorn", (
        "--workers", WORKERS, "--no-access-log", "--host", HOST, "--port", "{port}",
        "heliograph.asgi:application")),
)


@dataclass(frozen=True)
class Measurement:
    server: str
    endpoint: str
    requests_per_second: float
    p99_ms: float
    errors: int


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_arguments(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y --no-install-recommends wrk",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="heliograph-bench-") as data_dir:
        environment = bench_environment(data_dir)
        prepare_database(options.python, environment)
        chosen = []
        for spec in SERVERS:
            if options.servers and spec.name not in options.servers:
                continue
            if not has_module(options.python, spec.module):
                print(f"skipped {spec.name}: {spec.module} is not installed in {options.python}")
                continue
            chosen.append(spec)
        results: list[Measurement] = []
        for round_number in range(1, options.rounds + 1):
            print(f"round {round_number} of {options.rounds}", flush=True)
            for spec in chosen:
                results.extend(measure_server(spec, options, environment))
    print_report(results)
    return 0


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter with Heliograph's dependencies and the servers")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=50, help="open connections (wrk -c)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (wrk -t)")
    parser.add_argument("--rounds", type=int, default=3, help="times each server is measured")
    names = ", ".join(spec.name for spec in SERVERS)
    parser.add_argument("--servers", nargs="*", default=[],
                        help=f"servers to run (default: all of {names})")
    return parser.parse_args(argv)


def bench_environment(data_dir: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}
    }
    environment.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(REPO),
        "HELIOGRAPH_DATA_DIR": data_dir,
        "LOG_LEVEL": "WARNING",
    })
    return environment


def prepare_database(python: str, environment: dict[str, str]) -> None:
    """Create the SQLite database and fill it with the demo page."""
    for command in (["migrate", "--verbosity", "0"], ["demo"]):
        subprocess.run([python, "-m", "django", *command], env=environment, cwd=REPO,
                       check=True, stdout=subprocess.DEVNULL)


def has_module(python: str, module: str) -> bool:
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


def measure_server(spec: ServerSpec, options: argparse.Namespace,
                   environment: dict[str, str]) -> list[Measurement]:
    port = free_port()
    arguments = [argument.replace("{port}", str(port)) for argument in spec.args]
    server = subprocess.Popen(
        [options.python, "-m", spec.module, *arguments], env=environment, cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        wait_until_listening(port, server)
        measurements = []
        for endpoint in ENDPOINTS:
            url = f"http://{HOST}:{port}{endpoint}"
            run_wrk(url, options, duration=2)  # warm-up: imports, connections, caches
            output = run_wrk(url, options, duration=options.duration)
            measurements.append(parse_wrk(spec.name, endpoint, output))
            print(f"  {spec.name:24} {endpoint:22} {measurements[-1].requests_per_second:7.0f} "
                  f"req/s  p99 {measurements[-1].p99_ms:7.1f} ms", flush=True)
        return measurements
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, server: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode} at start-up")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not listen on port {port} within {timeout} s")


def run_wrk(url: str, options: argparse.Namespace, *, duration: int) -> str:
    command = ["wrk", "--latency", f"-t{options.threads}", f"-c{options.connections}",
               f"-d{duration}s", url]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def parse_wrk(server: str, endpoint: str, output: str) -> Measurement:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", output, re.MULTILINE)
    if rate is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    error_count = int(errors.group(1)) if errors else 0
    if socket_errors:
        error_count += sum(int(value) for value in socket_errors.groups())
    return Measurement(server, endpoint, float(rate.group(1)), float(p99.group(1)) * scale,
                       error_count)


def print_report(results: list[Measurement]) -> None:
    for endpoint in ENDPOINTS:
        rates: dict[str, list[float]] = {}
        p99s: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        for result in results:
            if result.endpoint == endpoint:
                rates.setdefault(result.server, []).append(result.requests_per_second)
                p99s.setdefault(result.server, []).append(result.p99_ms)
                errors[result.server] = errors.get(result.server, 0) + result.errors
        if not rates:
            continue
        medians = {server: statistics.median(values) for server, values in rates.items()}
        best = max(medians.values())
        print(f"\n{endpoint}: median requests/s relative to the fastest (min-max over rounds)")
        for server in sorted(medians, key=lambda name: -medians[name]):
            print(f"  {server:24} {medians[server] / best:5.2f}  {medians[server]:7.0f} req/s "
                  f"({min(rates[server]):.0f}-{max(rates[server]):.0f}), median p99 "
                  f"{statistics.median(p99s[server]):.1f} ms, {errors[server]} errors")


if __name__ == "__main__":
    sys.exit(main())
