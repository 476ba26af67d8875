"""Importing from a live base URL, served by a local HTTP server on 127.0.0.1, and the
addresses and responses that are rejected."""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.importers.fetch import Fetcher
from heliograph.importers.records import InputError
from heliograph.importers.run import read_source
from tests.importers.conftest import STATUSPAGE, Site, report_rows

Run = Callable[..., str]


def statuspage_site(site: Site, *, with_maintenances: bool = True) -> None:
    summary = (STATUSPAGE / "summary.json").read_bytes()
    incidents = (STATUSPAGE / "incidents.json").read_bytes()
    site.routes["/api/v2/summary.json"] = (200, summary)
    site.routes["/api/v2/incidents.json"] = (200, incidents)
    if with_maintenances:
        site.routes["/api/v2/scheduled-maintenances.json"] = (
            200, (STATUSPAGE / "scheduled-maintenances.json").read_bytes())


def test_base_url_fetches_three_documents(frozen: Any, run_import: Run, site: Site) -> None:
    statuspage_site(site)

    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        site.base + "/")

    page = Page.objects.get(slug="cloud")
    assert site.requests == ["/api/v2/summary.json", "/api/v2/incidents.json",
                             "/api/v2/scheduled-maintenances.json"]
    assert Incident.objects.filter(page=page).count() == 6
    assert Maintenance.objects.filter(page=page).count() == 3
    assert Service.objects.filter(page=page).count() == 4
    assert "from 3 files" in output


def test_missing_optional_document_skipped(frozen: Any, run_import: Run, site: Site) -> None:
    statuspage_site(site, with_maintenances=False)

    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        site.base)

    assert (f"{site.base}/api/v2/scheduled-maintenances.json: not found (HTTP 404).") in output
    assert report_rows(output)["incidents"] == [6, 0, 0, 0]


def test_single_document_url(frozen: Any, run_import: Run, site: Site) -> None:
    statuspage_site(site)

    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
               site.base + "/api/v2/incidents.json")

    assert site.requests == ["/api/v2/incidents.json"]
    assert Incident.objects.count() == 4


def test_missing_summary_is_an_error(frozen: Any, import_error: Run, site: Site) -> None:
    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           site.base)

    assert message == (f"{site.base}/api/v2/summary.json: the server responded with HTTP 404 "
                       "Not Found: check the address.")
    assert not Page.objects.filter(slug="cloud").exists()


def test_invalid_json_from_url(frozen: Any, import_error: Run, site: Site) -> None:
    site.routes["/api/v2/summary.json"] = (200, b"maintenance")

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           site.base)

    assert message == (f"{site.base}/api/v2/summary.json: invalid JSON at line 1, column 1: "
                       "Expecting value.")


def test_url_rerun_changes_nothing(frozen: Any, run_import: Run, site: Site) -> None:
    statuspage_site(site)
    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com", site.base)
    page = Page.objects.get(slug="cloud")

    output = run_import("statuspage", "--page", "cloud", site.base)

    page.refresh_from_db()
    assert report_rows(output)["incidents"] == [0, 0, 6, 0]
    assert json.loads((STATUSPAGE / "summary.json").read_text())["page"]["name"] == page.title


# Addresses that are rejected, responses that are not JSON, and servers that misbehave.


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record the address of every TCP connection attempted, and refuse all but loopback ones.

    A connection the importer should not make thus never leaves the machine.
    """
    attempted: list[Any] = []
    connect = socket.socket.connect

    def checked_connect(self: socket.socket, address: Any) -> None:
        attempted.append(address)
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(f"the test refused a connection to {address}")
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", checked_connect)
    return attempted


def not_loopback(attempted: list[Any]) -> list[Any]:
    return [address for address in attempted if not ipaddress.ip_address(address[0]).is_loopback]


@pytest.mark.parametrize(("address", "host"), [
    ("http://169.254.169.254", "169.254.169.254"),
    ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254"),
    ("http://[fe80::1]:8080/", "fe80::1"),
])
def test_link_local_address_rejected_unconnected(import_error: Run, connections: list[Any],
                                                 address: str, host: str) -> None:
    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           address)

    assert message.endswith(
        f": {host} is a link-local address (the range of the cloud metadata address "
        "169.254.169.254), which the importer does not connect to.")
    assert connections == []


def test_metadata_address_rejected_for_cachet(import_error: Run,
                                              connections: list[Any]) -> None:
    message = import_error("cachet", "--page", "shop", "--owner", "importer@example.com",
                           "http://100.100.100.200/")

    assert message == ("http://100.100.100.200/api/v1/components?per_page=100: 100.100.100.200 "
                       "is a cloud metadata address, which the importer does not connect to.")
    assert connections == []


def test_host_resolving_to_metadata_rejected(import_error: Run, connections: list[Any],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        assert host == "status.example.test"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           "https://status.example.test")

    assert message == (
        "https://status.example.test/api/v2/summary.json: status.example.test resolves to "
        "169.254.169.254, a link-local address (the range of the cloud metadata address "
        "169.254.169.254), which the importer does not connect to.")
    assert connections == []


def test_redirect_to_metadata_rejected(frozen: Any, import_error: Run, site: Site,
                                       connections: list[Any]) -> None:
    site.routes["/api/v2/summary.json"] = (302, b"")
    site.headers["/api/v2/summary.json"] = {
        "Location": "http://169.254.169.254/latest/meta-data/"}

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           site.base)

    assert message == (
        f"{site.base}/api/v2/summary.json (redirected to http://169.254.169.254/latest/"
        "meta-data/): 169.254.169.254 is a link-local address (the range of the cloud metadata "
        "address 169.254.169.254), which the importer does not connect to.")
    assert site.requests == ["/api/v2/summary.json"]
    assert not_loopback(connections) == []


def test_redirect_to_file_rejected(frozen: Any, import_error: Run, site: Site) -> None:
    site.routes["/api/v2/summary.json"] = (301, b"")
    site.headers["/api/v2/summary.json"] = {"Location": "file:///etc/passwd"}

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           site.base)

    assert message == (f"{site.base}/api/v2/summary.json (redirected to file:///etc/passwd): "
                       "file:// addresses are not supported: give an http:// or https:// "
                       "address.")


def test_redirect_to_other_host_followed(frozen: Any, run_import: Run, site: Site,
                                         connections: list[Any]) -> None:
    statuspage_site(site)
    port = site.base.rsplit(":", 1)[1]
    site.routes["/moved/summary.json"] = site.routes.pop("/api/v2/summary.json")
    site.routes["/api/v2/summary.json"] = (302, b"")
    site.headers["/api/v2/summary.json"] = {
        "Location": f"http://localhost:{port}/moved/summary.json"}

    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        site.base)

    assert site.requests[:2] == ["/api/v2/summary.json", "/moved/summary.json"]
    assert report_rows(output)["incidents"] == [6, 0, 0, 0]
    assert not_loopback(connections) == []


def test_redirect_loop_stops(frozen: Any, import_error: Run, site: Site) -> None:
    site.routes["/api/v2/summary.json"] = (302, b"")
    site.headers["/api/v2/summary.json"] = {"Location": "/api/v2/summary.json"}

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           site.base)

    assert message == f"{site.base}/api/v2/summary.json: more than 5 redirects: check the address."
    assert len(site.requests) == 6


@pytest.mark.parametrize("address", ["file:///etc/passwd", "ftp://127.0.0.1/summary.json"])
def test_other_schemes_rejected(import_error: Run, connections: list[Any],
                                address: str) -> None:
    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           address)

    scheme = address.split(":")[0]
    assert message.startswith(f"{address}: {scheme}:// addresses are not supported: give an "
                              "http:// or https:// address.")
    assert connections == []


def test_html_response_named(frozen: Any, import_error: Run, site: Site) -> None:
    site.routes["/api/v2/summary.json"] = (200, b"<!doctype html><title>Status</title>")
    site.headers["/api/v2/summary.json"] = {"Content-Type": "text/html; charset=utf-8"}

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           site.base)

    assert message == (f"{site.base}/api/v2/summary.json: the response is an HTML page, not "
                       "JSON: check the address.")


def test_server_error_named(frozen: Any, import_error: Run, site: Site) -> None:
    site.routes["/api/v2/summary.json"] = (500, b"")

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           site.base)

    assert message == (f"{site.base}/api/v2/summary.json: the server responded with HTTP 500 "
                       "Internal Server Error: check the address.")


@pytest.fixture
def slow_server() -> Iterator[Callable[[float], str]]:
    """Start servers on 127.0.0.1 that accept a request and then send a byte every `pause`
    seconds (or nothing, for a pause of 0), until the client goes away."""
    stop = threading.Event()
    listeners: list[socket.socket] = []

    def serve(listener: socket.socket, pause: float) -> None:
        with listener:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                if pause:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: 1000000\r\n\r\n")
                while not stop.wait(pause or 0.05):
                    if pause:
                        try:
                            connection.sendall(b" ")
                        except OSError:
                            return

    def start(pause: float) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)
        threading.Thread(target=serve, args=(listener, pause), daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}/api/v2/incidents.json"

    yield start
    stop.set()


def test_silent_server_times_out(slow_server: Callable[[float], str]) -> None:
    address = slow_server(0)

    with pytest.raises(InputError) as raised:
        read_source("statuspage", [address], fetcher=Fetcher(timeout=0.5))

    assert str(raised.value) == (f"{address}: timed out after 0.5 seconds: check the address or "
                                 "try again later.")


def test_trickling_server_stopped(slow_server: Callable[[float], str]) -> None:
    address = slow_server(0.1)
    started = time.monotonic()

    with pytest.raises(InputError) as raised:
        read_source("statuspage", [address], fetcher=Fetcher(timeout=5, total_timeout=1))

    assert str(raised.value) == (f"{address}: the response took longer than 1 seconds: try "
                                 "again later.")
    assert time.monotonic() - started < 5


def test_cachet_next_page_stays_on_host(frozen: Any, run_import: Run, site: Site,
                                        connections: list[Any]) -> None:
    def page(items: list[dict[str, Any]], next_page: str | None) -> bytes:
        links = {"next_page": next_page, "previous_page": None}
        return json.dumps({"meta": {"pagination": {"links": links}}, "data": items}).encode()

    empty = page([], None)
    site.routes.update({
        "/api/v1/components?per_page=100": (200, page(
            [{"id": 1, "name": "API", "status": 1}],
            "http://169.254.169.254/api/v1/components?per_page=100&page=2")),
        "/api/v1/components?per_page=100&page=2": (200, page(
            [{"id": 2, "name": "Web", "status": 1}], None)),
        "/api/v1/components/groups?per_page=100": (200, empty),
        "/api/v1/incidents?per_page=100": (200, empty),
        "/api/v1/schedules?per_page=100": (200, empty),
    })

    output = run_import("cachet", "--page", "shop", "--owner", "importer@example.com",
                        site.base)

    assert site.requests[:2] == ["/api/v1/components?per_page=100",
                                 "/api/v1/components?per_page=100&page=2"]
    assert report_rows(output)["services"] == [2, 0, 0, 0]
    assert not_loopback(connections) == []


def test_cachet_pagination_loop_stops(frozen: Any, import_error: Run, site: Site) -> None:
    looping = {"meta": {"pagination": {"links": {
        "next_page": f"{site.base}/api/v1/components?per_page=100"}}}, "data": []}
    site.routes["/api/v1/components?per_page=100"] = (200, json.dumps(looping).encode())

    message = import_error("cachet", "--page", "shop", "--owner", "importer@example.com",
                           site.base)

    assert message == (f"{site.base}/api/v1/components?per_page=100: "
                       "meta.pagination.links.next_page leads back to a page already read: the "
                       "server's pagination is broken.")
    assert site.requests == ["/api/v1/components?per_page=100"]


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[Callable[[str], tuple[str, ssl.SSLContext]]]:
    """Start HTTPS servers on 127.0.0.1 with a self-signed certificate for a given host name;
    return the port and a client context that trusts the certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is missing: the HTTPS tests make their certificates with the "
                    "openssl command (apt-get install openssl).", pytrace=False)
    servers: list[ThreadingHTTPServer] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"page": {"id": "tls"}, "components": [], "host": self.headers[
                "Host"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    def start(name: str) -> tuple[str, ssl.SSLContext]:
        cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
        subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                        "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True, timeout=60)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return str(server.server_address[1]), ssl.create_default_context(cafile=str(cert))

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_https_checks_certificate_of_host_name(
        https_server: Callable[[str], tuple[str, ssl.SSLContext]]) -> None:
    # The importer connects to the address it resolved, 127.0.0.1, and must still present and
    # check the host name, localhost.
    port, trusted = https_server("localhost")
    address = f"https://localhost:{port}/api/v2/components.json"

    document = Fetcher(verify=trusted).get_json(address)

    assert document["host"] == f"localhost:{port}"


def test_https_rejects_certificate_of_other_name(
        https_server: Callable[[str], tuple[str, ssl.SSLContext]]) -> None:
    port, trusted = https_server("other.example.test")
    address = f"https://localhost:{port}/api/v2/components.json"

    with pytest.raises(InputError) as raised:
        Fetcher(verify=trusted).get_json(address)

    assert str(raised.value).startswith(f"{address}: the request failed: [SSL: "
                                        "CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                        "Hostname mismatch")
