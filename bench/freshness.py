"""Freshness under load: time from posting an event through the API until every process shows it.

    .venv/bin/python bench/freshness.py [--rounds 5] [--database-url URL] [--redis-url URL]

Two web processes (`heliograph-admin serve --workers 1`, on two ports) share a PostgreSQL
database and Redis, with the demo page. While wrk loads the front page of both
(`wrk -t1 -c25` each), the script opens an incident through the management API of one
process, alternating, and polls the front page of both every 20 ms until the incident's
title appears. It prints, per round, the seconds from sending the API request until each
process served the change, then the error responses of the load and the resident memory of
each web process.

Targets: every process serves the change within 1 second, no error responses, under 150 MiB
per web process. The database named in --database-url is dropped and created again, and the
Redis keys of the prefix `heliograph-freshness` are deleted afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import dj_database_url
import httpx
import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))

from edge_servers import Process, WrkResult, admin, environment, machine, serve, wrk

FRONT = "/p/demo/"
PREFIX = "heliograph-freshness"
POLL_SECONDS = 0.02


def recreate_database(url: str) -> None:
    config = dj_database_url.parse(url)
    with psycopg.connect(host=config.get("HOST") or None, port=config.get("PORT") or None,
                         user=config.get("USER") or None,
                         password=config.get("PASSWORD") or None, dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{config["NAME"]}"')


def shown_after(base: str, title: str, started: float, results: dict[str, float]) -> None:
    with httpx.Client(timeout=10) as client:
        while time.monotonic() - started < 30:
            response = client.get(base + FRONT)
            if response.status_code == 200 and title in response.text:
                results[base] = time.monotonic() - started
                return
            time.sleep(POLL_SECONDS)
    results[base] = float("inf")


def one_round(writer: Process, processes: list[Process], token: str, service_ids: list[int]
              ) -> dict[str, float]:
    title = f"Freshness probe {uuid.uuid4().hex[:8]}"
    results: dict[str, float] = {}
    started = time.monotonic()
    response = httpx.post(
        f"{writer.base}/api/v1/pages/demo/incidents",
        headers={"Authorization": f"Bearer {token}"},
        json={"title": title, "text": "Measuring how fast this shows.",
              "state": "degraded_performance", "status": "investigating",
              "services": service_ids[:1]},
        timeout=30,
    )
    if response.status_code != 201:
        raise SystemExit(f"the API rejected the incident: {response.status_code} {response.text}")
    results["api"] = time.monotonic() - started
    pollers = [threading.Thread(target=shown_after, args=(process.base, title, started, results))
               for process in processes]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        poller.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="incidents to post")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/"
                        "heliograph_h6_freshness", help="PostgreSQL database to (re)create")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8",
                        help="Redis database for the cache and the task queue")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="heliograph-freshness-"))
    recreate_database(options.database_url)
    env = environment(work / "data", DATABASE_URL=options.database_url,
                      REDIS_URL=options.redis_url, HELIOGRAPH_CACHE_PREFIX=PREFIX)
    processes: list[Process] = []
    try:
        admin(env, "migrate", "--verbosity", "0")
        admin(env, "demo")
        token = admin(env, "token", "create", "--email", "demo@example.com", "--page", "demo",
                      "--write").strip().splitlines()[-1]
        print(machine())
        processes = [serve(env, work, workers=1), serve(env, work, workers=1)]
        services = httpx.get(f"{processes[0].base}/api/v1/pages/demo/services",
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
        service_ids = [item["id"] for item in services.json()["items"]]
        for process in processes:
            httpx.get(process.base + FRONT, timeout=30)

        seconds = 6 + 3 * options.rounds
        outputs: dict[int, WrkResult] = {}

        def load(index: int) -> None:
            outputs[index] = wrk(processes[index].base + FRONT, seconds=seconds, threads=1,
                                 connections=25)

        loaders = [threading.Thread(target=load, args=(index,)) for index in range(2)]
        for loader in loaders:
            loader.start()
        time.sleep(3)
        worst: list[float] = []
        for number in range(options.rounds):
            writer = processes[number % 2]
            results = one_round(writer, processes, token, service_ids)
            answered = results.pop("api")
            shown = "   ".join(f"port {base.rsplit(':', 1)[1]}: {delay:.3f} s"
                               for base, delay in sorted(results.items()))
            print(f"round {number + 1}: posted to port {writer.port}, which answered after "
                  f"{answered:.3f} s; shown by {shown}")
            worst.append(max(results.values()))
            time.sleep(2)
        for loader in loaders:
            loader.join()

        print(f"slowest process per round: median {statistics.median(worst):.3f} s, "
              f"max {max(worst):.3f} s (target < 1 s)")
        for index, process in enumerate(processes):
            result = outputs[index]
            print(f"load on port {process.port}: {result.requests_per_second:.0f} req/s, "
                  f"p99 {result.p99_ms:.1f} ms, errors {result.errors}")
            print(f"web process on port {process.port}: RSS "
                  + ", ".join(f"{size:.0f} MiB" for size in process.rss_mib()))
    finally:
        for process in processes:
            process.stop()
        client = redis.Redis.from_url(options.redis_url)
        keys = list(client.scan_iter(match=f"{PREFIX}*"))
        if keys:
            client.delete(*keys)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
