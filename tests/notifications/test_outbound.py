"""The outgoing-address guard: which URLs and addresses it rejects, and that it rejects them
before any connection is made.

Every connection goes through a recorder that wraps `socket.create_connection` (which httpcore
uses) and fails the test on any address other than 127.0.0.1, so no test can send traffic
anywhere else. Names are resolved by stub resolvers, never by DNS.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from heliograph.lib import outbound
from heliograph.lib.config import env_networks

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]

REJECTED_ADDRESSES = [
    "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "192.168.1.1",
    "169.254.169.254", "169.254.170.2", "100.64.0.1", "100.100.100.200",
    "0.0.0.0",  # noqa: S104 - an address under test, not a binding
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",
    "::127.0.0.1", "::169.254.169.254",
    "2002:7f00:1::1", "2002:a9fe:a9fe::1",
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1",
    # Teredo: the client address is stored inverted, 80ff:fffe is 127.0.0.1.
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
]
ACCEPTED_ADDRESSES = ["93.184.215.14", "1.1.1.1", "2606:4700::1111", "::ffff:1.1.1.1",
                      "64:ff9b::101:101", "2002:101:101::1"]


class ConnectionRecorder:
    """Records every `socket.create_connection` call, and lets through only 127.0.0.1."""

    def __init__(self) -> None:
        self.addresses: list[tuple[str, int]] = []
        self._real = socket.create_connection

    def __call__(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        self.addresses.append((address[0], address[1]))
        if address[0] != "127.0.0.1":
            raise AssertionError(f"the test tried to connect to {address}")
        return self._real(address, *args, **kwargs)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> ConnectionRecorder:
    recorder = ConnectionRecorder()
    monkeypatch.setattr(socket, "create_connection", recorder)
    return recorder


class Receiver:
    """An HTTP server on 127.0.0.1 that counts connections and replies from `routes` by path."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str]]] = {}
        self.requests: list[dict[str, str]] = []
        self.connections = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                receiver.requests.append({"path": self.path, "host": self.headers["Host"]})
                status, headers = receiver.routes.get(self.path, (200, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def get_request(self) -> tuple[socket.socket, Any]:
                receiver.connections += 1
                return super().get_request()

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def hosts(table: dict[str, list[str]]) -> outbound.Resolver:
    """Return a resolver that looks names up in `table`, like a hosts file."""
    def resolve(host: str, port: int) -> list[str]:
        if host.rstrip(".") not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host.rstrip(".")]
    return resolve


@pytest.mark.parametrize("text", REJECTED_ADDRESSES)
def test_rejection_of_internal_address(text: str) -> None:
    assert outbound.rejection(ipaddress.ip_address(text)) is not None


@pytest.mark.parametrize("text", ACCEPTED_ADDRESSES)
def test_rejection_spares_public_address(text: str) -> None:
    assert outbound.rejection(ipaddress.ip_address(text)) is None


@given(st.sampled_from(["127.0.0.0/8", "10.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
                        "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4"]),
       st.integers(min_value=0, max_value=2**32 - 1))
def test_rejection_covers_networks_and_ipv6_forms(network_text: str, seed: int) -> None:
    network = ipaddress.IPv4Network(network_text)
    address = network[seed % network.num_addresses]
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(address))
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80) | 1)
    assert outbound.rejection(address) is not None
    assert outbound.rejection(mapped) is not None
    assert outbound.rejection(nat64) is not None
    assert outbound.rejection(sixtofour) is not None


def test_allowed_network_exempts_address() -> None:
    allowed = [ipaddress.ip_network("10.0.0.0/8")]
    assert outbound.rejection(ipaddress.ip_address("10.2.3.4"), allowed) is None
    assert outbound.rejection(ipaddress.ip_address("::ffff:10.2.3.4"), allowed) is None
    assert outbound.rejection(ipaddress.ip_address("11.0.0.1"), allowed) is None
    assert outbound.rejection(ipaddress.ip_address("127.0.0.1"), allowed) is not None
    assert outbound.rejection(ipaddress.ip_address("169.254.169.254"), allowed) is not None


@pytest.mark.parametrize("url", [
    "ftp://example.com/hook", "file:///etc/passwd", "gopher://example.com/",
    "http://2130706433/", "http://0x7f000001/", "http://0x7f.1/", "http://0177.0.0.1/",
    "http://127.1/", "http://127.0.1/", "http://017700000001/", "http://1.2.3.4.5/",
    "http://user:secret@example.com/", "http://example.com@127.0.0.1/",
    "https://:@example.com/", "http:///path",
])
def test_check_url_rejects_form(url: str) -> None:
    with pytest.raises(outbound.OutboundRejected):
        outbound.check_url(url)


@pytest.mark.parametrize("url", ["https://hooks.example.com/x", "http://93.184.215.14:8080/",
                                 "https://[2606:4700::1111]/", "https://example.com./a"])
def test_check_url_accepts_plain_url(url: str) -> None:
    assert outbound.check_url(url).host


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/", "http://localhost:{port}/", "http://LOCALHOST.:{port}/",
    "http://[::1]:{port}/", "http://[::ffff:127.0.0.1]:{port}/", "http://loop.test:{port}/",
    "http://mixed.test:{port}/", "http://169.254.169.254/latest/meta-data/",
    "http://metadata.test/", "http://[fd00:ec2::254]/",
])
def test_request_rejected_before_connecting(url: str, receiver: Receiver,
                                            connections: ConnectionRecorder) -> None:
    resolver = hosts({"localhost": ["127.0.0.1", "::1"], "loop.test": ["127.0.0.1"],
                      "mixed.test": ["93.184.215.14", "127.0.0.1"],
                      "metadata.test": ["169.254.169.254"]})
    with (
        outbound.guarded_client(resolver=resolver, allowed=[]) as client,
        pytest.raises(outbound.OutboundRejected),
    ):
        client.get(url.format(port=receiver.port))
    assert connections.addresses == []
    assert receiver.connections == 0


def test_default_allow_list_is_empty(settings: Any, receiver: Receiver,
                                     connections: ConnectionRecorder) -> None:
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = []
    with (
        outbound.guarded_client() as client,
        pytest.raises(outbound.OutboundRejected, match="loopback"),
    ):
        client.get(f"http://127.0.0.1:{receiver.port}/")
    assert connections.addresses == []
    assert receiver.connections == 0


def test_allowed_receiver_reached_by_address(settings: Any, receiver: Receiver,
                                             connections: ConnectionRecorder) -> None:
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    with outbound.guarded_client(resolver=resolve) as client:
        response = client.get(f"http://hooks.example.test:{receiver.port}/hook")
    assert response.status_code == 200
    assert calls == ["hooks.example.test"]
    # The connection goes to the vetted address, and the Host header keeps the name.
    assert connections.addresses == [("127.0.0.1", receiver.port)]
    assert receiver.requests == [{"path": "/hook", "host": f"hooks.example.test:{receiver.port}"}]
    assert str(response.request.url) == f"http://hooks.example.test:{receiver.port}/hook"


def test_https_keeps_server_name(connections: ConnectionRecorder) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    transport = outbound.GuardedTransport(resolver=hosts({"hooks.example.com": ["1.1.1.1"]}),
                                          allowed=[], inner=httpx.MockTransport(answer))
    with httpx.Client(transport=transport) as client:
        assert client.get("https://hooks.example.com/x").status_code == 204
    assert seen[0].url.host == "1.1.1.1"
    assert seen[0].headers["Host"] == "hooks.example.com"
    assert seen[0].extensions["sni_hostname"] == "hooks.example.com"
    assert connections.addresses == []


def test_redirect_to_loopback_rejected(receiver: Receiver,
                                       connections: ConnectionRecorder) -> None:
    """A public receiver (an in-memory transport) redirects to a listener on 127.0.0.1."""
    answered: list[str] = []

    def public(request: httpx.Request) -> httpx.Response:
        answered.append(str(request.url))
        return httpx.Response(302, headers={"Location": f"http://127.0.0.1:{receiver.port}/"})

    transport = outbound.GuardedTransport(resolver=hosts({"hooks.example.com": ["1.1.1.1"]}),
                                          allowed=[], inner=httpx.MockTransport(public))
    with (
        httpx.Client(transport=transport, follow_redirects=True) as client,
        pytest.raises(outbound.OutboundRejected, match="loopback"),
    ):
        client.get("https://hooks.example.com/hook")
    assert answered == ["https://1.1.1.1/hook"]
    assert connections.addresses == []
    assert receiver.connections == 0


@pytest.mark.parametrize("location", [
    "http://169.254.169.254/latest/meta-data/", "http://[::ffff:a9fe:a9fe]/",
    "http://metadata.test/computeMetadata/v1/", "http://2852039166/", "file:///etc/passwd",
])
def test_redirect_to_metadata_rejected(location: str, receiver: Receiver,
                                       connections: ConnectionRecorder) -> None:
    receiver.routes["/hook"] = (302, {"Location": location})
    resolver = hosts({"metadata.test": ["169.254.169.254"]})
    with (
        outbound.guarded_client(resolver=resolver, allowed=LOOPBACK) as client,
        pytest.raises((outbound.OutboundRejected, httpx.UnsupportedProtocol)),
    ):
        client.get(f"http://127.0.0.1:{receiver.port}/hook")
    # The only connection made is the first one, to the receiver.
    assert connections.addresses == [("127.0.0.1", receiver.port)]
    assert [request["path"] for request in receiver.requests] == ["/hook"]


def test_redirects_are_bounded(receiver: Receiver, connections: ConnectionRecorder) -> None:
    receiver.routes["/loop"] = (302, {"Location": "/loop"})
    with (
        outbound.guarded_client(allowed=LOOPBACK) as client,
        pytest.raises(httpx.TooManyRedirects),
    ):
        client.get(f"http://127.0.0.1:{receiver.port}/loop")
    assert len(receiver.requests) == outbound.MAX_REDIRECTS + 1
    assert len(connections.addresses) == outbound.MAX_REDIRECTS + 1


def test_env_networks_reads_cidrs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS", " 10.0.0.0/8, 192.168.1.7 ,fd00::/8,")
    assert env_networks("HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS") == [
        "10.0.0.0/8", "192.168.1.7/32", "fd00::/8"]
    monkeypatch.delenv("HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS")
    assert env_networks("HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS") == []


def test_env_networks_rejects_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS", "10.0.0.0/8,10.0.0.0/33")
    with pytest.raises(ImproperlyConfigured) as raised:
        env_networks("HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS")
    message = str(raised.value)
    assert message.startswith("HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS")
    assert "'10.0.0.0/33'" in message
    assert "\n" not in message


def test_system_resolver_localhost_rejected(receiver: Receiver,
                                            connections: ConnectionRecorder) -> None:
    """`localhost` comes from the hosts file, so the system resolver makes no DNS query."""
    with (
        outbound.guarded_client(allowed=[]) as client,
        pytest.raises(outbound.OutboundRejected, match="loopback"),
    ):
        client.get(f"http://localhost:{receiver.port}/")
    assert connections.addresses == []
    assert receiver.connections == 0
