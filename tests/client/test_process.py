"""The installed `heliograph` program run as a separate process, piped and at a terminal.

The terminal runs go through a pseudo-terminal, so that the program behaves as it does for a
person at a terminal: prompts, hidden token input, colours and the progress bar.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine

from heliograph.client.errors import ExitCode
from heliograph.domain import incidents
from heliograph.domain.models import Incident
from heliograph.domain.vocab import State, Status
from tests.client.conftest import CLEARED

pytestmark = pytest.mark.django_db(transaction=True)

PROGRAM = Path(sys.executable).with_name("heliograph")


def process_environment(home: Path, **variables: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in CLEARED}
    environment.update({"XDG_CONFIG_HOME": str(home / "config"), "HOME": str(home),
                        "TERM": "xterm-256color", "COLUMNS": "160", "LANG": "C.UTF-8"})
    environment.update(variables)
    return environment


def run_piped(home: Path, *args: str, input: str = "",
              **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PROGRAM), *args], input=input, capture_output=True, text=True,
                          env=process_environment(home, **variables), timeout=60, check=False)


def run_in_terminal(home: Path, *args: str, answers: list[tuple[str, str]] | None = None,
                    timeout: float = 60, **variables: str) -> tuple[int, str]:
    """Run the program on a pseudo-terminal; when `prompt` appears, type `reply`.

    Return the exit code and everything the program wrote, prompts included.
    """
    controller, terminal = pty.openpty()
    process = subprocess.Popen([str(PROGRAM), *args], stdin=terminal, stdout=terminal,
                               stderr=terminal, env=process_environment(home, **variables),
                               close_fds=True)
    os.close(terminal)
    pending = list(answers or [])
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:
                    chunk = b""
                if not chunk and process.poll() is not None:
                    break
                seen += chunk
            while pending and pending[0][0].encode() in seen:
                prompt, reply = pending.pop(0)
                seen = seen.replace(prompt.encode(), b"<" + prompt.encode() + b">", 1)
                os.write(controller, reply.encode() + b"\r")
            if not ready and process.poll() is not None:
                break
        else:
            process.kill()
            raise AssertionError(f"heliograph {' '.join(args)} did not finish: "
                                 f"{seen.decode(errors='replace')[-2000:]}")
    finally:
        os.close(controller)
    assert not pending, f"never prompted for {pending}: {seen.decode(errors='replace')}"
    return process.wait(timeout=10), seen.decode("utf-8", errors="replace")


def test_program_status_piped(live_server, token, page, home, add_service):
    add_service("API")

    result = run_piped(home, "status", "--json", HELIOGRAPH_URL=live_server.url,
                       HELIOGRAPH_TOKEN=token)

    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["page"] == "acme"
    assert body["services"][0]["name"] == "API"


def test_program_network_down(closed_port, home):
    result = run_piped(home, "service", "list", HELIOGRAPH_URL=f"http://127.0.0.1:{closed_port}",
                       HELIOGRAPH_TOKEN="hg_x", HELIOGRAPH_PAGE="acme")

    assert result.returncode == ExitCode.NETWORK
    assert "Connection refused" in result.stderr
    assert "Traceback" not in result.stderr


def test_program_not_logged_in(home):
    result = run_piped(home, "incident", "list")

    assert result.returncode == ExitCode.AUTH
    assert result.stderr.startswith("Error: Not logged in")


def test_program_login_then_open(live_server, token, page, home):
    login = run_piped(home, "login", "--url", live_server.url, input=token + "\n")
    opened = run_piped(home, "incident", "open", "--title", "Elevated errors", "--text",
                       "Looking.", "--state", "major", "--json")

    assert login.returncode == 0, login.stderr
    assert (home / "config" / "heliograph" / "config.toml").stat().st_mode & 0o777 == 0o600
    assert opened.returncode == 0, opened.stderr
    assert Incident.objects.get().pk == json.loads(opened.stdout)["id"]


def test_client_imports_no_server_code():
    code = ("import sys, heliograph.client.cli\n"
            "loaded = [m for m in sys.modules if m.split('.')[0] == 'django' or "
            "(m.startswith('heliograph.') and not m.startswith('heliograph.client'))]\n"
            "print(loaded)")
    environment = {key: value for key, value in os.environ.items()
                   if key != "DJANGO_SETTINGS_MODULE"}

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, timeout=60, check=True)

    assert result.stdout.strip() == "[]"


def test_terminal_login_prompts_and_hides_token(live_server, token, page, home):
    code, seen = run_in_terminal(home, "login", answers=[("Server URL", live_server.url),
                                                         ("API token", token)])

    assert code == 0, seen
    assert "Logged in to" in seen
    # The terminal does not echo the token as it is typed.
    assert token not in seen
    assert token in (home / "config" / "heliograph" / "config.toml").read_text()


def test_terminal_open_prompts_for_missing(live_server, token, page, home, add_service):
    add_service("API")
    add_service("Database")

    code, seen = run_in_terminal(
        home, "incident", "open", "--title", "Slow API",
        answers=[("First update", "Requests are slow."), ("State", "partial"),
                 ("Status", "identified"), ("Affected services", "API"), ("[Y/n]", "y")],
        HELIOGRAPH_URL=live_server.url, HELIOGRAPH_TOKEN=token)

    assert code == 0, seen
    incident = Incident.objects.get()
    assert incident.title == "Slow API"
    assert incident.state == "partial_outage"
    assert incident.status == "identified"
    assert [s.name for s in incident.services.all()] == ["API"]


def test_terminal_confirmation_declined(live_server, token, page, home, actor):
    incident = incidents.open_incident(page, title="Slow API", text="x",
                                       state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                       services=[], actor=actor)

    code, seen = run_in_terminal(home, "incident", "close", "slow", answers=[("[Y/n]", "n")],
                                 HELIOGRAPH_URL=live_server.url, HELIOGRAPH_TOKEN=token)

    assert code == 1, seen
    assert "Aborted" in seen
    incident.refresh_from_db()
    assert incident.closed_at is None


def test_terminal_yes_skips_prompts(live_server, token, page, home):
    code, seen = run_in_terminal(home, "incident", "open", "--title", "Slow API", "--yes",
                                 HELIOGRAPH_URL=live_server.url, HELIOGRAPH_TOKEN=token)

    assert code == ExitCode.USAGE, seen
    assert "Missing --text, --state" in seen
    assert not Incident.objects.exists()


@pytest.fixture
def many_incidents(page: Any, actor: Any) -> int:
    count = 450
    with time_machine.travel(dt.datetime(2026, 10, 1, tzinfo=dt.UTC), tick=False) as clock:
        for number in range(count):
            clock.shift(dt.timedelta(minutes=1))
            incidents.open_incident(page, title=f"Incident {number}", text="x",
                                    state=State.DEGRADED_PERFORMANCE,
                                    status=Status.INVESTIGATING, services=[], actor=actor)
    return count


def test_terminal_shows_progress_and_colours(live_server, token, page, home, many_incidents):
    code, seen = run_in_terminal(home, "incident", "list", "--all",
                                 HELIOGRAPH_URL=live_server.url, HELIOGRAPH_TOKEN=token)

    assert code == 0, seen[-2000:]
    assert "Fetching incidents" in seen
    assert "Incident 0" in seen
    assert "\x1b[33m▲ Degraded performance" in seen


def test_piped_list_has_no_progress(live_server, token, page, home, many_incidents):
    result = run_piped(home, "incident", "list", "--all", HELIOGRAPH_URL=live_server.url,
                       HELIOGRAPH_TOKEN=token)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b[" not in result.stdout
    lines = [line for line in result.stdout.splitlines() if "Incident " in line]
    assert len(lines) == many_incidents
