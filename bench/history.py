"""Measure whether the public page, the status JSON and the API lists slow down as history grows.

Builds two databases of one page with 50 services: one with a month of history, one with ten
years (about 20,000 incidents with their events, and a maintenance a week). Built from the same
seed, both contain the same last month, so only older history differs. Each runs in its own
process and data directory. Every endpoint is then called uncached, several times, with the
calls alternating between the two histories so that other load on the machine hits both alike,
and the script prints the median time, the query count, and the ratios long/short.

    .venv/bin/python bench/history.py                 # SQLite, as installed by default
    .venv/bin/python bench/history.py --postgres postgres://postgres@127.0.0.1:5432/bench_hist
    .venv/bin/python bench/history.py --short-days 365  # a year against ten years

With `--postgres`, the two databases are that name with `_short` and `_long` appended; the
script creates and drops them. Targets: ratio under 1.2 and equal query counts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SLUG = "bench"
HOST = f"{SLUG}.localhost"
SERVICES = 50
GROUPS = 5
# Ten years at this rate make about 20,000 incidents.
INCIDENTS_PER_DAY = 5.5
SHORT_DAYS = 30
LONG_DAYS = 3652
# Both histories contain the same last RECENT_DAYS days.
RECENT_DAYS = 30
ENDPOINTS = (
    "front page (view)",
    "history page 1 (view)",
    "api/v2/summary.json (view)",
    "api.json (view)",
    "api/v2/incidents.json (view)",
    "GET /api/v1/pages/bench/incidents",
    "GET /api/v1/pages/bench/maintenances",
    "GET /api/v1/pages/bench/maintenances?limit=5",
)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_arguments(argv)
    if options.child:
        return run_child(options)

    with tempfile.TemporaryDirectory(prefix="heliograph-history-") as scratch:
        children = {label: start_child(label, days, options, Path(scratch))
                    for label, days in (("short", options.short_days), ("long", LONG_DAYS))}
        try:
            results = measure_interleaved(children, options.repeat)
        finally:
            for child in children.values():
                child.close()
    print_report(results, options)
    return 0


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15,
                        help="timed calls per endpoint after 3 warm-up calls (default 15)")
    parser.add_argument("--postgres", metavar="URL",
                        help="PostgreSQL URL whose database name gets _short and _long appended")
    parser.add_argument("--seed", type=int, default=8, help="random seed of the history")
    parser.add_argument("--short-days", type=int, default=SHORT_DAYS, metavar="DAYS",
                        help="days of the short history (default 30); 365 gives both "
                             "histories data in every day the front and history pages show")
    parser.add_argument("--existing", nargs=2, metavar=("SHORT_DIR", "LONG_DIR"),
                        help="measure two existing SQLite data directories, migrated and "
                             "with their figures rebuilt, instead of building new ones")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--existing-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--days", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if not 1 <= options.short_days < LONG_DAYS:
        parser.error(f"--short-days must be from 1 to {LONG_DAYS - 1}, not {options.short_days}")
    return options


class Child:
    """A child process that holds one history and times one endpoint call per request line."""

    def __init__(self, label: str, process: subprocess.Popen[str], database: str | None,
                 postgres: str | None) -> None:
        self.label = label
        self.process = process
        self.database = database
        self.postgres = postgres

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.label} history's process exited with status "
                               f"{self.process.wait()}; its errors are above")
        result: dict[str, Any] = json.loads(line)
        return result

    def call(self, endpoint: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(endpoint + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        if self.database is not None and self.postgres is not None:
            _postgres(self.postgres, "DROP DATABASE IF EXISTS", self.database)


def start_child(label: str, days: int, options: argparse.Namespace, scratch: Path) -> Child:
    """Start the process that builds one history (or opens an existing one)."""
    existing = None
    if options.existing:
        existing = options.existing[0 if label == "short" else 1]
    data_dir = existing or str(scratch / label)
    Path(data_dir).mkdir(exist_ok=True)
    env = {**os.environ, "HELIOGRAPH_DATA_DIR": data_dir,
           "DJANGO_SETTINGS_MODULE": "heliograph.settings", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    database = None
    if options.postgres:
        database = f"{options.postgres.rstrip('/')}_{label}"
        env["DATABASE_URL"] = database
        if not existing:
            _postgres(options.postgres, "DROP DATABASE IF EXISTS", database)
            _postgres(options.postgres, "CREATE DATABASE", database)
    else:
        env.pop("DATABASE_URL", None)
    command = [sys.executable, __file__, "--child", "--days", str(days),
               "--seed", str(options.seed)]
    if existing:
        command.append("--existing-child")
    print(f"building the {label} history ({days} days)...", file=sys.stderr)
    process = subprocess.Popen(command, env=env, cwd=REPO, text=True, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    return Child(label, process, database if not existing else None, options.postgres)


def measure_interleaved(children: dict[str, Child], repeat: int) -> dict[str, dict[str, Any]]:
    """Time every endpoint in both histories, one call each in turn, so load hits both alike."""
    results = {label: {**child.read(), "endpoints": {}} for label, child in children.items()}
    print("measuring...", file=sys.stderr)
    for endpoint in ENDPOINTS:
        timings: dict[str, list[float]] = {label: [] for label in children}
        queries: dict[str, int] = {}
        for round_number in range(3 + repeat):
            for label, child in children.items():
                result = child.call(endpoint)
                if round_number >= 3:
                    timings[label].append(result["ms"])
                    queries[label] = result["queries"]
        for label in children:
            results[label]["endpoints"][endpoint] = {
                "median_ms": statistics.median(timings[label]),
                "min_ms": min(timings[label]), "queries": queries[label]}
    return results


def _postgres(url: str, statement: str, database: str) -> None:
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    name = database.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'{statement} "{name}"')  # the name comes from the command line


def print_report(results: dict[str, dict[str, Any]], options: argparse.Namespace) -> None:
    short, long = results["short"], results["long"]
    print(f"History growth: {short['incidents']} vs {long['incidents']} incidents "
          f"({short['events']} vs {long['events']} events), {SERVICES} services, "
          f"{'PostgreSQL' if options.postgres else 'SQLite'}; build {short['build_seconds']:.1f} s "
          f"and {long['build_seconds']:.1f} s; median of {options.repeat} uncached calls.")
    print()
    short_name = "1 month" if options.short_days == SHORT_DAYS else f"{options.short_days} days"
    print(f"| endpoint | {short_name} (ms) | 10 years (ms) | ratio | queries {short_name} | "
          "queries 10 years |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    failing = []
    for name in ENDPOINTS:
        first, second = short["endpoints"][name], long["endpoints"][name]
        ratio = second["median_ms"] / first["median_ms"]
        same = first["queries"] == second["queries"]
        if ratio >= 1.2 or not same:
            failing.append(name)
        print(f"| {name} | {first['median_ms']:.1f} | {second['median_ms']:.1f} | "
              f"{ratio:.2f} | {first['queries']} | {second['queries']} |")
    print()
    if failing:
        print("Over the target (ratio >= 1.2 or different query counts): " + ", ".join(failing))
    else:
        print("Every endpoint meets the target: ratio under 1.2 and equal query counts.")


# --- In the child process -------------------------------------------------------------------


def run_child(options: argparse.Namespace) -> int:
    """Build a history (unless it exists), then time one call per endpoint name on stdin."""
    import django

    sys.path.insert(0, str(REPO))
    django.setup()
    from django.core.management import call_command

    from heliograph.domain.models import Incident, IncidentEvent, Maintenance

    started = time.perf_counter()
    if options.existing_child:
        counts = {"incidents": Incident.objects.count(), "events": IncidentEvent.objects.count(),
                  "maintenances": Maintenance.objects.count()}
    else:
        call_command("migrate", verbosity=0)
        # Production serves hashed static file names, which need the manifest.
        call_command("collectstatic", interactive=False, verbosity=0)
        # Reproducible test data, not secrets.
        counts = build_history(options.days, random.Random(options.seed))  # noqa: S311
    build_seconds = time.perf_counter() - started
    calls, clear = endpoint_calls()
    print(json.dumps({**counts, "build_seconds": build_seconds}), flush=True)
    for line in sys.stdin:
        print(json.dumps(measure_once(calls[line.strip()], clear)), flush=True)
    return 0


def build_history(days: int, rng: random.Random, *, slug: str = SLUG,
                  per_day: float = INCIDENTS_PER_DAY) -> dict[str, int]:
    """Insert a page with `days` of history in bulk, then store its per-day figures.

    Bulk inserts bypass the signals that keep the per-day figures table up to date, so the
    page's figures are rebuilt at the end, as `heliograph-admin figures rebuild` does.
    Returns the row counts.
    """
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from heliograph.accounts.models import User
    from heliograph.domain import day_figures, incidents, maintenances, pages
    from heliograph.domain.audit import Actor
    from heliograph.domain.models import (
        Incident,
        IncidentEvent,
        Maintenance,
        MaintenanceEvent,
        Service,
        ServiceGroup,
    )
    from heliograph.domain.vocab import MaintenanceStatus, State, Status

    now = timezone.now()
    start = now - dt.timedelta(days=days)
    user = User.objects.create_user(f"{slug}@example.com", "bench password 1234")
    actor = Actor.of_user(user)
    page = pages.create_page(slug, title="History bench", owner=user,
                             time_zone="Europe/Zurich", actor=actor)
    groups = [ServiceGroup.objects.create(page=page, name=f"Group {n}", position=n)
              for n in range(GROUPS)]
    services = Service.objects.bulk_create([
        Service(page=page, name=f"Service {n}", position=n, group=groups[n % GROUPS],
                start_date=start.date())
        for n in range(SERVICES)
    ])

    # The last month is drawn first, so that two histories built from the same seed share
    # it and differ only in what lies before it.
    recent_start = max(start, now - dt.timedelta(days=RECENT_DAYS))
    spans = [(recent_start, int((now - recent_start).days * per_day)),
             (start, int((recent_start - start).days * per_day))]
    bad_states = [State.DEGRADED_PERFORMANCE, State.PARTIAL_OUTAGE, State.MAJOR_OUTAGE]
    steps = [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING]
    with transaction.atomic():
        rows = []
        plans = []
        for span_start, count in spans:
            span_end = recent_start if span_start < recent_start else now
            for _ in range(count):
                seconds = (span_end - span_start).total_seconds() - 7200
                opened = span_start + dt.timedelta(seconds=rng.uniform(0, seconds))
                length = dt.timedelta(minutes=rng.uniform(10, 360))
                closed = min(opened + length, span_end - dt.timedelta(minutes=5))
                rows.append(Incident(page=page, title=f"Incident {len(rows)}",
                                     state=State.OPERATIONAL, status=Status.RESOLVED,
                                     opened_at=opened, closed_at=closed, backfilled=True,
                                     created_at=opened, updated_at=closed))
                step_states = [rng.choice(bad_states) for _ in range(rng.randint(1, 3))]
                plans.append((opened, closed, step_states,
                               rng.sample(services, rng.randint(1, 3))))
        created = Incident.objects.bulk_create(rows, batch_size=2000)

        events = []
        links = []
        for incident, (opened, closed, step_states, affected) in zip(created, plans,
                                                                     strict=True):
            gap = (closed - opened) / (len(step_states) + 1)
            for step, state in enumerate(step_states):
                events.append(IncidentEvent(
                    incident=incident, at=opened + gap * step, state=state,
                    status=steps[step], text=f"Update {step} of incident {incident.pk}.",
                    posted_at=opened + gap * step))
            events.append(IncidentEvent(incident=incident, at=closed, state=State.OPERATIONAL,
                                        status=Status.RESOLVED, text="Resolved.",
                                        posted_at=closed))
            links += [Incident.services.through(incident_id=incident.pk, service_id=s.pk)
                      for s in affected]
        IncidentEvent.objects.bulk_create(events, batch_size=2000)
        Incident.services.through.objects.bulk_create(links, batch_size=2000)
        latest = {}
        for event in IncidentEvent.objects.filter(incident__page=page).order_by("at", "id") \
                .values_list("incident_id", "pk"):
            latest[event[0]] = event[1]
        for incident in created:
            incident.latest_event_id = latest[incident.pk]
        Incident.objects.bulk_update(created, ["latest_event"], batch_size=2000)

        windows = []
        week = dt.timedelta(days=7)
        # Counted back from now, so that histories of different lengths share their last weeks.
        moment = now - dt.timedelta(days=2)
        while moment > start:
            windows.append(Maintenance(
                page=page, title=f"Maintenance of {moment:%Y-%m-%d}", description="Upgrade.",
                starts_at=moment, ends_at=moment + dt.timedelta(hours=2),
                status=MaintenanceStatus.COMPLETED, started_at=moment,
                completed_at=moment + dt.timedelta(hours=2), created_at=moment,
                updated_at=moment))
            moment -= week
        windows.reverse()
        done = Maintenance.objects.bulk_create(windows, batch_size=2000)
        MaintenanceEvent.objects.bulk_create([
            MaintenanceEvent(maintenance=m, at=m.starts_at + offset, status=status,
                             text="Work.", posted_at=m.starts_at + offset)
            for m in done
            for offset, status in ((dt.timedelta(0), MaintenanceStatus.IN_PROGRESS),
                                   (dt.timedelta(hours=2), MaintenanceStatus.COMPLETED))
        ], batch_size=2000)
        Maintenance.services.through.objects.bulk_create([
            Maintenance.services.through(maintenance_id=m.pk, service_id=services[pk % SERVICES].pk)
            for pk, m in enumerate(reversed(done))
        ], batch_size=2000)

    incidents.open_incident(page, title="Slow API", text="Looking into it.",
                            state=State.PARTIAL_OUTAGE, status=Status.INVESTIGATING,
                            services=services[:2], at=now - dt.timedelta(minutes=30),
                            actor=actor)
    maintenances.schedule_maintenance(
        page, title="Network work", description="New routers.",
        starts_at=now + dt.timedelta(days=2), ends_at=now + dt.timedelta(days=2, hours=1),
        services=services[2:4], actor=actor)
    day_figures.rebuild(page)
    return {
        "incidents": Incident.objects.filter(page=page).count(),
        "events": IncidentEvent.objects.filter(incident__page=page).count(),
        "maintenances": Maintenance.objects.filter(page=page).count(),
    }


def endpoint_calls() -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    """Return a function per endpoint that calls it, and one that empties every cache."""
    from django.core.cache import caches
    from django.test import Client, RequestFactory
    from django.urls import resolve

    from heliograph.api.models import ApiToken
    from heliograph.domain.models import Page

    page = Page.objects.get(slug=SLUG)
    user = page.members.get()
    _, token = ApiToken.issue(user, [page], can_write=False)
    factory = RequestFactory()
    client = Client()

    def view(path: str, query: str = "") -> Callable[[], Any]:
        match = resolve(path)

        def call() -> Any:
            request = factory.get(f"{path}{query}", HTTP_HOST=HOST)
            return match.func(request, *match.args, **match.kwargs)

        return call

    def api(path: str) -> Callable[[], Any]:
        return lambda: client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")

    calls = dict(zip(ENDPOINTS, (
        view("/"),
        view("/history"),
        view("/api/v2/summary.json"),
        view("/api.json"),
        view("/api/v2/incidents.json"),
        api(f"/api/v1/pages/{SLUG}/incidents"),
        api(f"/api/v1/pages/{SLUG}/maintenances"),
        # The month holds 5 maintenances, fewer than a full list: this call returns as many
        # rows from both histories.
        api(f"/api/v1/pages/{SLUG}/maintenances?limit=5"),
    ), strict=True))

    def clear() -> None:
        for alias in caches:
            caches[alias].clear()

    return calls, clear


def measure_once(call: Callable[[], Any], clear: Callable[[], None]) -> dict[str, float]:
    """Call an endpoint once with empty caches; return its milliseconds and query count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clear()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = call()
        if getattr(response, "streaming", False):
            b"".join(response)
        elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"status {response.status_code}: {response.content[:300]!r}")
    return {"ms": elapsed * 1000, "queries": len(captured.captured_queries)}


if __name__ == "__main__":
    sys.exit(main())
