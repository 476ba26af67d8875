"""Host header tricks sent as raw bytes to the running server (Granian, through
`heliograph-admin serve`), so that nothing between the test and Heliograph cleans them up.

Page "acme" is public (acme.localhost, status.acme.example), "secret" is private
(secret.localhost, status.secret.example) and "other" is public (other.localhost). No request
may return another page's data or the private page's data, a disallowed host gets 400, and
nothing gets a server error.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import pytest

from tests.concurrency.server import Install

ACME = "Acme checkout errors"
SECRET = ("Secret vault outage", "Secret Works")
OTHER = "Other Corp login outage"


@dataclass
class RawResponse:
    status: int
    head: str
    body: str


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out


def send_raw(install: Install, request: bytes) -> RawResponse:
    """Send one HTTP/1.1 request as given and return the response, read until the server
    closes the connection."""
    with socket.create_connection(("127.0.0.1", install.port), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    head_text = head.decode("latin-1")
    status_line = head_text.split("\r\n", 1)[0]
    if "transfer-encoding: chunked" in head_text.lower():
        body = _dechunk(body)
    return RawResponse(int(status_line.split()[1]), head_text, body.decode(errors="replace"))


def request(target: str, *headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _foreign(response: RawResponse, *, own: str | None) -> list[str]:
    """Return the texts of pages other than `own` (acme or other) found in the response."""
    texts = [*SECRET]
    if own != "acme":
        texts.append(ACME)
    if own != "other":
        texts.append(OTHER)
    return [text for text in texts if text in response.body]


def _page_of(host: str) -> str:
    """Return the slug of the page a host name addresses, or "" for none."""
    name = host.lower().split(":")[0].rstrip(".")
    return {"acme.localhost": "acme", "status.acme.example": "acme",
            "other.localhost": "other", "secret.localhost": "secret",
            "status.secret.example": "secret"}.get(name, "")


# Host headers that address acme: it is served, with acme's data only.
ACME_HOSTS = ["acme.localhost", "ACME.LOCALHOST", "Acme.LocalHost", "acme.localhost.",
              "acme.localhost:{port}", "status.acme.example", "STATUS.ACME.EXAMPLE:80"]


@pytest.mark.parametrize("host", ACME_HOSTS)
def test_acme_host_variants_serve_acme(live_install: Install, host: str) -> None:
    response = send_raw(live_install, request("/", f"Host: {host.format(port=live_install.port)}"))

    assert response.status == 200, response.head
    assert ACME in response.body
    assert _foreign(response, own="acme") == []


# Host headers of the private page, in every spelling: 404, never its data.
SECRET_HOSTS = ["secret.localhost", "SECRET.localhost", "secret.localhost.",
                "secret.localhost:{port}", "status.secret.example", "Status.Secret.Example."]


@pytest.mark.parametrize("host", SECRET_HOSTS)
@pytest.mark.parametrize("path", ["/", "/incidents/{secret}", "/api/v2/summary.json",
                                  "/history.atom", "/api.json", "/badge.svg"])
def test_private_page_hosts_404(live_install: Install, host: str, path: str) -> None:
    target = path.format(secret=live_install.seed["secret_incident"])
    response = send_raw(live_install,
                        request(target, f"Host: {host.format(port=live_install.port)}"))

    assert response.status == 404, response.head
    assert _foreign(response, own=None) == []


def test_other_host_hides_acme_incident(live_install: Install) -> None:
    target = f"/incidents/{live_install.seed['acme_incident']}"

    response = send_raw(live_install, request(target, "Host: other.localhost"))

    assert response.status == 404
    assert ACME not in response.body


@pytest.mark.parametrize("path", ["/p/secret/", "/p/SECRET/", "/p/secret/api/v2/summary.json",
                                  "/p/secret/incidents/{secret}"])
def test_private_page_by_path_404(live_install: Install, path: str) -> None:
    target = path.format(secret=live_install.seed["secret_incident"])

    response = send_raw(live_install, request(target, "Host: 127.0.0.1"))

    assert response.status in (301, 404), response.head
    assert _foreign(response, own=None) == []


@pytest.mark.parametrize("header", [
    "X-Forwarded-Host: secret.localhost",
    "X-Forwarded-Host: other.localhost",
    "X-Forwarded-Host: status.secret.example",
    "Forwarded: host=secret.localhost",
    "X-Original-Host: secret.localhost",
    "X-Host: other.localhost",
])
def test_forwarded_host_headers_ignored(live_install: Install, header: str) -> None:
    response = send_raw(live_install, request("/", "Host: acme.localhost", header))

    assert response.status == 200
    assert ACME in response.body
    assert _foreign(response, own="acme") == []


@pytest.mark.parametrize(("target", "host"), [
    ("http://secret.localhost/", "acme.localhost"),
    ("http://status.secret.example/api/v2/summary.json", "status.acme.example"),
    ("http://other.localhost/", "acme.localhost"),
    ("http://acme.localhost/", "secret.localhost"),
    ("http://secret.localhost/", "evil.example"),
])
def test_absolute_uri_request_line(live_install: Install, target: str, host: str) -> None:
    """An absolute-form request target never reaches the private page, nor a page that
    neither it nor the Host header names."""
    response = send_raw(live_install, request(target, f"Host: {host}"))

    assert response.status < 500, response.head
    assert all(text not in response.body for text in SECRET)
    named = {_page_of(target.split("//")[1].split("/")[0]), _page_of(host)}
    if "acme" not in named:
        assert ACME not in response.body
    if "other" not in named:
        assert OTHER not in response.body


@pytest.mark.parametrize("headers", [
    ("Host: acme.localhost", "Host: secret.localhost"),
    ("Host: secret.localhost", "Host: acme.localhost"),
    ("Host: acme.localhost", "Host: other.localhost"),
])
def test_duplicate_host_headers(live_install: Install, headers: tuple[str, str]) -> None:
    response = send_raw(live_install, request("/", *headers))

    assert response.status < 500, response.head
    assert all(text not in response.body for text in SECRET)
    if response.status == 200:
        first = _page_of(headers[0].split()[1])
        assert first in ("acme", "other")
        assert _foreign(response, own=first) == []


@pytest.mark.parametrize("host", [
    "evil.example", "localhost.evil.example", "acme.localhost.evil.example",
    "acme.localhost@secret.localhost", "acme.localhost:notaport", "acme.localhost:80:80",
    "", "acme localhost", "[::ffff:127.0.0.1", "acme.localhost/secret",
])
def test_disallowed_host_400(live_install: Install, host: str) -> None:
    response = send_raw(live_install, request("/", f"Host: {host}"))

    assert response.status == 400, response.head
    assert _foreign(response, own=None) == []


@pytest.mark.parametrize("host", ["nope.localhost", "a.b.localhost", "secret-x.localhost"])
def test_unknown_page_host_404(live_install: Install, host: str) -> None:
    response = send_raw(live_install, request("/", f"Host: {host}"))

    assert response.status == 404
    assert _foreign(response, own=None) == []


def test_missing_host_header(live_install: Install) -> None:
    response = send_raw(live_install, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")

    assert response.status in (400, 200, 404), response.head
    assert _foreign(response, own=None) == []
