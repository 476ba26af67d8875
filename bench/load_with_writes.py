"""Load with writes: readers of the public page while a writer posts an event every second.

    .venv/bin/python bench/load_with_writes.py [--seconds 60] [--readers 200]
        [--workers 2] [--database-url URL] [--redis-url URL]

The script makes a data directory in /tmp, creates a user, a page `load` with one service, a
write token and an open incident with the operator commands, and starts
`heliograph-admin serve` on a free port of 127.0.0.1. For `--seconds`, wrk keeps `--readers`
connections fetching the front page `/p/load/`, while a writer posts an incident event
through the management API every second, each with a unique marker in its text. The front
page shows the latest event's text of an open incident, so four probers that fetch it every
50 ms as well, staggered, tell from each response which event it shows.

It prints:
- errors: responses other than 2xx or 3xx and socket errors of wrk, and failed requests of
  the prober (target 0);
- lost events: events accepted (201) by the API that are missing from the incident's public
  page at the end (target 0);
- per event, the seconds from the API's response until the first request of a prober started
  after that response showed it ("first seen"), and the latest start, relative to the
  response, of a probe request that still showed an older event ("stale until"). The
  target is a maximum below 1 second for both.

wrk and the prober run on the same machine as the server and share its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ADMIN = Path(sys.executable).with_name("heliograph-admin")
SLUG = "load"
EMAIL = "load@example.com"
MARKER = re.compile(r"loadevent-(\d+)-[0-9a-f]{8}")
WRK = "/usr/bin/wrk"
# Each prober fetches the front page every POLL_SECONDS to see which event it shows. They are
# staggered, and there are several, so that one slow response does not hide when an event appeared.
POLL_SECONDS = 0.05
PROBERS = 4


@dataclass
class Event:
    """One posted event: its marker and the monotonic times of its request and response."""

    number: int
    marker: str
    sent: float
    answered: float
    status: int
    first_seen: float | None = None
    stale_until: float | None = None


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    # (request start, number of the newest event the response showed)
    observations: list[tuple[float, int]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def admin(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(ADMIN), *args], env=env, input=stdin, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"heliograph-admin {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def recreate_database(url: str) -> None:
    """Drop and create the PostgreSQL database that `url` names, so every run starts empty."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    with psycopg.connect(host=config.get("HOST") or None, port=config.get("PORT") or None,
                         user=config.get("USER") or None,
                         password=config.get("PASSWORD") or None, dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{config["NAME"]}"')


def prepare(env: dict[str, str]) -> str:
    """Create the user, page, service and token; return the token."""
    admin(env, "migrate", "--verbosity", "0")
    admin(env, "createuser", "--email", EMAIL, "--password-stdin",
          stdin="load test password\n")
    admin(env, "page", "create", SLUG, "--title", "Load", "--owner", EMAIL,
          "--time-zone", "Europe/Zurich")
    return admin(env, "token", "create", "--email", EMAIL, "--page", SLUG, "--write")


def start_server(env: dict[str, str], port: int, workers: int,
                 log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(ADMIN), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped: see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/p/{SLUG}/", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit(f"the server did not answer within 60 s: see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def prober(base: str, until: float, tally: Tally) -> None:
    """Fetch the front page every POLL_SECONDS and record which event each response shows."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                response = await client.get(f"/p/{SLUG}/")
            except httpx.HTTPError as error:
                tally.requests += 1
                tally.errors += 1
                kind = type(error).__name__
                tally.error_kinds[kind] = tally.error_kinds.get(kind, 0) + 1
                continue
            tally.requests += 1
            tally.latencies.append(time.monotonic() - started)
            if response.status_code != 200:
                tally.errors += 1
                kind = f"HTTP {response.status_code}"
                tally.error_kinds[kind] = tally.error_kinds.get(kind, 0) + 1
                continue
            shown = [int(number) for number in MARKER.findall(response.text)]
            tally.observations.append((started, max(shown, default=-1)))
            await asyncio.sleep(max(0.0, started + POLL_SECONDS - time.monotonic()))


@dataclass
class WrkResult:
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    output: str


def start_wrk(url: str, seconds: int, connections: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk_result(process: subprocess.Popen[str]) -> WrkResult:
    output, _ = process.communicate(timeout=120)
    if process.returncode != 0:
        raise SystemExit(f"wrk failed:\n{output}")
    requests = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+(\S+)", output)
    p99 = re.search(r"99%\s+(\S+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    if not (requests and rate and p50 and p99):
        raise SystemExit(f"could not read wrk's output:\n{output}")
    return WrkResult(
        requests=int(requests.group(1)), per_second=float(rate.group(1)),
        p50_ms=_milliseconds(p50.group(1)), p99_ms=_milliseconds(p99.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(value) for value in sockets.groups()) if sockets else 0,
        output=output)


async def writer(base: str, token: str, incident_id: int, until: float,
                 events: list[Event]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        number = 0
        next_at = time.monotonic() + 1
        while next_at < until - 2:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += 1
            number += 1
            marker = f"loadevent-{number}-{uuid.uuid4().hex[:8]}"
            sent = time.monotonic()
            response = await client.post(
                f"/api/v1/pages/{SLUG}/incidents/{incident_id}/events",
                json={"text": f"Update {marker}.", "state": "partial_outage",
                      "status": "identified"})
            events.append(Event(number, marker, sent, time.monotonic(), response.status_code))


def measure(events: list[Event], observations: list[tuple[float, int]]) -> None:
    """Fill in each event's first-seen and stale-until times from the reader observations."""
    ordered = sorted(observations)
    for event in events:
        after = [(start, shown) for start, shown in ordered if start >= event.answered]
        seen = next((start for start, shown in after if shown >= event.number), None)
        stale = [start for start, shown in after if shown < event.number]
        event.first_seen = None if seen is None else seen - event.answered
        event.stale_until = (max(stale) - event.answered) if stale else 0.0


def lost_events(base: str, incident_id: int, events: list[Event]) -> list[str]:
    page = httpx.get(f"{base}/p/{SLUG}/incidents/{incident_id}", timeout=30).text
    return [event.marker for event in events if event.status == 201 and event.marker not in page]


def machine() -> str:
    cores = os.cpu_count()
    lscpu = subprocess.run(["/usr/bin/lscpu"], capture_output=True, text=True, check=False).stdout
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                  if line.startswith("Model name")), platform.processor())
    return f"{cores} cores (nproc), {model}, Python {platform.python_version()}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def start_later(delay: float, work: Coroutine[Any, Any, None]) -> None:
    await asyncio.sleep(delay)
    await work


async def run(base: str, token: str, incident_id: int, seconds: int
              ) -> tuple[Tally, list[Event]]:
    tally = Tally()
    events: list[Event] = []
    until = time.monotonic() + seconds
    probers = [start_later(index * POLL_SECONDS / PROBERS, prober(base, until, tally))
               for index in range(PROBERS)]
    await asyncio.gather(writer(base, token, incident_id, until, events), *probers)
    return tally, events


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the run (s)")
    parser.add_argument("--readers", type=int, default=200, help="concurrent readers")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL instead of SQLite; the database is dropped and created")
    parser.add_argument("--redis-url", default="",
                        help="Redis for the cache and queue; its database is emptied first")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="heliograph-load-") as data:
        env = {**os.environ, "HELIOGRAPH_DATA_DIR": data, "LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        if options.database_url:
            recreate_database(options.database_url)
            env["DATABASE_URL"] = options.database_url
        if options.redis_url:
            # A cache entry of an earlier run, for the same page slug and version, would be
            # served as this run's page.
            import redis

            redis.Redis.from_url(options.redis_url).flushdb()
            env["REDIS_URL"] = options.redis_url
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env["HELIOGRAPH_BASE_URL"] = base
        token = prepare(env)
        before = os.getloadavg()
        server = start_server(env, port, options.workers, Path(data) / "serve.log")
        try:
            opened = httpx.post(
                f"{base}/api/v1/pages/{SLUG}/incidents",
                headers={"Authorization": f"Bearer {token}"},
                json={"title": "Load test", "text": "loadevent-0-00000000 opened.",
                      "state": "partial_outage", "status": "investigating", "services": []},
                timeout=30)
            if opened.status_code != 201:
                raise SystemExit(f"opening the incident failed: {opened.status_code} "
                                 f"{opened.text}")
            incident_id = int(opened.json()["id"])
            load = start_wrk(f"{base}/p/{SLUG}/", options.seconds, options.readers)
            try:
                tally, events = asyncio.run(run(base, token, incident_id, options.seconds))
            finally:
                readers = wrk_result(load)
            lost = lost_events(base, incident_id, events)
        finally:
            stop(server)

    measure(events, tally.observations)
    write_errors = [event for event in events if event.status != 201]
    seen = [event.first_seen for event in events if event.first_seen is not None]
    stale = [event.stale_until or 0.0 for event in events]
    never = [event.number for event in events if event.first_seen is None]

    print(f"machine: {machine()}, load average before {before[0]:.1f}, "
          f"after {os.getloadavg()[0]:.1f}")
    print(f"run: {options.seconds} s, {options.readers} readers, {options.workers} server "
          f"workers, {'PostgreSQL' if options.database_url else 'SQLite'}"
          f"{' + Redis' if options.redis_url else ''}")
    print(f"readers (wrk): {readers.requests} requests ({readers.per_second:.0f}/s), "
          f"latency p50 {readers.p50_ms:.0f} ms, p99 {readers.p99_ms:.0f} ms")
    print(f"probers: {tally.requests} requests, latency p50 "
          f"{percentile(tally.latencies, 0.5) * 1000:.0f} ms, "
          f"p99 {percentile(tally.latencies, 0.99) * 1000:.0f} ms")
    errors = readers.non_2xx + readers.socket_errors + tally.errors
    print(f"errors: {errors} (wrk non-2xx {readers.non_2xx}, wrk socket errors "
          f"{readers.socket_errors}, probers {tally.errors} {tally.error_kinds or ''})")
    print(f"events: {len(events)} posted, {len(write_errors)} not accepted, "
          f"write latency max {max((e.answered - e.sent for e in events), default=0):.3f} s")
    print(f"lost events: {len(lost)}")
    print(f"never seen by the probers: {len(never)} {never or ''}".rstrip())
    print(f"first seen after response: max {max(seen, default=0):.3f} s, "
          f"median {percentile(seen, 0.5):.3f} s")
    print(f"stale until after response: max {max(stale, default=0):.3f} s")
    for event in events:
        print(f"  event {event.number:3d}: status {event.status}, "
              f"api {event.answered - event.sent:.3f} s, "
              f"first seen {'-' if event.first_seen is None else f'{event.first_seen:.3f}'} s, "
              f"stale until {event.stale_until or 0.0:.3f} s")
    passed = (errors == 0 and not lost and not write_errors and not never
              and max(stale, default=0) < 1 and max(seen, default=0) < 1)
    print("result:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
