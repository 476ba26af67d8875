"""Editors posting to one incident at the same moment, through the API, the console and the CLI,
against a running server with several worker processes.

Every update is recorded once, the events read back in one consistent order (time, then id),
and the only error is the conflict message when a second close meets an incident that the
first one closed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.concurrency.actors import (
    ConsoleSession,
    Outcome,
    api_post,
    field_ending,
    run_cli,
)
from tests.concurrency.server import Install

# Posters of each channel that start together in one round.
PER_CHANNEL = 3


def _open_incident(install: Install, title: str) -> int:
    outcome = httpx.post(
        f"{install.url}/api/v1/pages/acme/incidents", timeout=60,
        headers={"Authorization": f"Bearer {install.seed['owner_token']}"},
        json={"title": title, "text": "Looking into it.", "state": "major_outage",
              "status": "investigating"},
    )
    assert outcome.status_code == 201, outcome.text
    return int(outcome.json()["id"])


def _incident(install: Install, incident_id: int) -> dict[str, Any]:
    response = httpx.get(f"{install.url}/api/v1/pages/acme/incidents/{incident_id}", timeout=60,
                         headers={"Authorization": f"Bearer {install.seed['owner_token']}"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _together(calls: Sequence[Callable[[], Outcome]]) -> list[Outcome]:
    """Run the calls in threads that all start once every thread is ready."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Outcome]) -> Outcome:
        start.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _console_poster(install: Install, email: str, incident_id: int, action: str,
                    text: str) -> tuple[ConsoleSession, Callable[[], Outcome]]:
    """Open the incident's screen in a new console session and fill one of its forms."""
    session = ConsoleSession(install, email)
    base = f"/console/pages/acme/incidents/{incident_id}/"
    target, fields = session.load(base, f"{base}{action}/")
    fields[field_ending(fields, "text")] = text
    return session, lambda: session.submit(target, fields)


def _assert_consistent_order(events: list[dict[str, Any]]) -> None:
    """Check that the newest-first list is sorted by time, then id, and ids follow times."""
    keys = [(event["at"], event["id"]) for event in events]
    assert keys == sorted(keys, reverse=True), "events are not in (time, id) order"
    by_id = sorted(events, key=lambda event: event["id"])
    times = [event["at"] for event in by_id]
    assert times == sorted(times), "a later event id has an earlier time"


def test_updates_from_three_channels(live_install: Install) -> None:
    incident_id = _open_incident(live_install, "Checkout errors, three channels")
    posters: list[Callable[[], Outcome]] = []
    sessions = []
    for number in range(PER_CHANNEL):
        posters.append(functools.partial(
            api_post, live_install, live_install.seed["editor_token"],
            f"/pages/acme/incidents/{incident_id}/events",
            {"text": f"api update {number}", "state": "major_outage", "status": "identified"}))
        email = "editor@example.com" if number % 2 else "owner@example.com"
        session, submit = _console_poster(live_install, email, incident_id, "events",
                                          f"console update {number}")
        sessions.append(session)
        posters.append(submit)
        posters.append(functools.partial(
            run_cli, live_install, live_install.seed["editor_token"], "incident", "update",
            str(incident_id), "--text", f"cli update {number}", "--yes"))

    outcomes = _together(posters)
    for session in sessions:
        session.close()

    failed = [outcome for outcome in outcomes if not outcome.ok]
    assert failed == []
    incident = _incident(live_install, incident_id)
    texts = [event["text"] for event in incident["events"]]
    expected = {f"{channel} update {n}" for channel in ("api", "console", "cli")
                for n in range(PER_CHANNEL)}
    assert sorted(text for text in texts if text in expected) == sorted(expected)
    assert len(texts) == 1 + len(expected), "an update was recorded twice or not at all"
    _assert_consistent_order(incident["events"])
    assert "database is locked" not in live_install.log_text()


def _api_closer(install: Install, incident_id: int) -> Callable[[], Outcome]:
    return lambda: api_post(install, install.seed["editor_token"],
                            f"/pages/acme/incidents/{incident_id}/close",
                            {"text": "Fixed (api)."})


def _cli_closer(install: Install, incident_id: int) -> Callable[[], Outcome]:
    return lambda: run_cli(install, install.seed["owner_token"], "incident", "close",
                           str(incident_id), "--text", "Fixed (cli).", "--yes")


def _console_closer(install: Install, incident_id: int) -> Callable[[], Outcome]:
    _session, submit = _console_poster(install, "editor@example.com", incident_id, "close",
                                       "Fixed (console).")
    return submit


CLOSERS: dict[str, Callable[[Install, int], Callable[[], Outcome]]] = {
    "api": _api_closer, "cli": _cli_closer, "console": _console_closer,
}
PAIRS = [("api", "api"), ("api", "console"), ("console", "cli"), ("cli", "api"),
         ("console", "console")]


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=lambda value: str(value))
def test_two_closes_one_wins(live_install: Install, first: str, second: str) -> None:
    incident_id = _open_incident(live_install, f"Two closes, {first} and {second}")
    calls = [CLOSERS[first](live_install, incident_id), CLOSERS[second](live_install, incident_id)]

    outcomes = _together(calls)

    winners = [outcome for outcome in outcomes if outcome.ok]
    losers = [outcome for outcome in outcomes if not outcome.ok]
    assert len(winners) == 1, f"expected exactly one close to succeed: {outcomes}"
    loser = losers[0]
    if loser.channel == "cli":
        assert loser.status != 0
    else:
        # The console shows the form again with the problem, with the API's status code.
        assert loser.status == 409, f"{loser.channel} got {loser.status}"
    assert "already closed" in loser.message, f"unclear conflict message: {loser.message!r}"
    incident = _incident(live_install, incident_id)
    resolved = [event for event in incident["events"] if event["status"] == "resolved"]
    assert len(resolved) == 1
    assert incident["status"] == "resolved"
    assert incident["closed_at"] is not None


def test_writers_wait_for_each_other(live_install: Install) -> None:
    """Many writers at once each get a response, and none fails with "database is locked"."""
    incident_id = _open_incident(live_install, "Many writers")
    calls = [
        functools.partial(
            api_post, live_install, live_install.seed["editor_token"],
            f"/pages/acme/incidents/{incident_id}/events",
            {"text": f"writer {number}", "state": "partial_outage", "status": "monitoring"})
        for number in range(24)
    ]

    outcomes = _together(calls)

    assert [outcome.status for outcome in outcomes] == [201] * len(calls)
    incident = _incident(live_install, incident_id)
    assert len(incident["events"]) == 1 + len(calls)
    _assert_consistent_order(incident["events"])
    assert "database is locked" not in live_install.log_text()
