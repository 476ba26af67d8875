"""Failures the CLI reports with a message and its exit code: network, server, bugs."""

from __future__ import annotations

import http.server
import socket
import sys
import threading
from collections.abc import Iterator

import pytest

from heliograph.client import api as client_api
from heliograph.client import cli as client_cli
from heliograph.client.errors import ExitCode

pytestmark = pytest.mark.django_db(transaction=True)


def test_network_down(cli, closed_port):
    result = cli("status", HELIOGRAPH_URL=f"http://127.0.0.1:{closed_port}",
                 HELIOGRAPH_PAGE="acme")

    assert result.code == ExitCode.NETWORK
    assert f"Cannot reach http://127.0.0.1:{closed_port} (Connection refused)" in result.stderr
    assert "HELIOGRAPH_URL" in result.stderr


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Return the port of a server on 127.0.0.1 that accepts connections and never responds."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_server_timeout(cli, silent_server, monkeypatch):
    monkeypatch.setattr(client_api, "READ_TIMEOUT", 0.5)

    result = cli("status", HELIOGRAPH_URL=f"http://127.0.0.1:{silent_server}",
                 HELIOGRAPH_PAGE="acme")

    assert result.code == ExitCode.NETWORK
    assert "timed out: no response within 0.5 seconds" in result.stderr


def test_url_not_an_api(cli, live_server):
    # The public site returns HTML under this prefix, not the API's JSON.
    result = cli("status", HELIOGRAPH_URL=live_server.url + "/p/acme", HELIOGRAPH_PAGE="acme")

    assert result.code == ExitCode.FAILURE
    assert "not the JSON of the Heliograph API" in result.stderr
    assert "check the URL" in result.stderr


def test_url_of_other_json_service(cli, live_server):
    """The Runstatus API returns 404 in JSON of its own shape, not a missing page."""
    result = cli("page", "list", HELIOGRAPH_URL=live_server.url + "/runstatus")

    assert result.code == ExitCode.FAILURE
    assert "returned HTTP 404 with JSON that is not an error of the Heliograph API" \
        in result.stderr
    assert "check the URL" in result.stderr


class RedirectToHttps(http.server.BaseHTTPRequestHandler):
    """Redirect every request to https, as a server that moved there does."""

    def do_GET(self) -> None:
        self.send_response(301)
        self.send_header("Location", f"https://127.0.0.1{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def redirecting_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RedirectToHttps)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_redirect_not_followed(cli, redirecting_server):
    result = cli("status", HELIOGRAPH_URL=f"http://127.0.0.1:{redirecting_server}",
                 HELIOGRAPH_PAGE="acme")

    assert result.code == ExitCode.FAILURE
    assert "redirected the request to https://127.0.0.1/api/v1/pages/acme/status" \
        in result.stderr
    assert "final address" in result.stderr


class EndlessList(http.server.BaseHTTPRequestHandler):
    """Return one incident and the same `next_cursor` for every list request."""

    def do_GET(self) -> None:
        body = (b'{"items": [{"id": 1, "title": "Loop", "state": "major_outage", '
                b'"status": "investigating", "opened_at": "2026-01-01T00:00:00Z", '
                b'"closed_at": null}], "next_cursor": "same"}')
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def endless_list_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EndlessList)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_repeated_cursor_stops_walk(cli, endless_list_server):
    result = cli("incident", "list", "--all", "--json",
                 HELIOGRAPH_URL=f"http://127.0.0.1:{endless_list_server}",
                 HELIOGRAPH_PAGE="acme")

    assert result.code == ExitCode.FAILURE
    assert "next_cursor that repeats an earlier one" in result.stderr


def test_unexpected_error_has_no_traceback(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(client_cli.heliograph, "main", broken)
    monkeypatch.delenv("HELIOGRAPH_DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", ["heliograph", "status"])

    with pytest.raises(SystemExit) as stopped:
        client_cli.main()

    assert stopped.value.code == ExitCode.FAILURE
    err = capsys.readouterr().err
    assert "unexpected RuntimeError: boom" in err
    assert "HELIOGRAPH_DEBUG=1" in err
    assert "Traceback" not in err


def test_debug_variable_shows_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(client_cli.heliograph, "main", broken)
    monkeypatch.setenv("HELIOGRAPH_DEBUG", "1")

    with pytest.raises(RuntimeError):
        client_cli.main()


def test_usage_error_is_2(cli):
    result = cli("incident", "list", "--status", "sideways")

    assert result.code == ExitCode.USAGE
    assert "Invalid value for '--status'" in result.stderr


def test_help_lists_exit_codes(run_cli):
    result = run_cli("--help")

    assert result.code == 0
    for line in ("2  invalid command, option or value", "3  not found",
                 "4  rejected by a rule", "5  not logged in", "6  network failure"):
        assert line in result.stdout
