"""The outgoing-address guard against every spelling of an inside address, and redirects to them.

`tests/notifications/test_outbound.py` covers the guard's rules one by one. Here listeners on
127.0.0.2 and ::1 stand for the inside of the network, and each form that points at them
(literal, numeric spelling, IPv6 embedding, a name that resolves to them) is requested
directly, and through a redirect from a receiver that HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS
allows. The proof is twofold: the listeners accept no connection, and a wrapper around
`socket.create_connection` (which httpcore uses) sees no connection attempt to them.
Addresses outside the loopback network are never connected to: the wrapper raises first.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from heliograph.lib import outbound
from heliograph.notifications import webhooks
from heliograph.notifications.models import Delivery, DeliveryStatus
from tests.notifications.test_outbound import ConnectionRecorder, Receiver, hosts
from tests.notifications.test_webhooks import HookReceiver, send_until_settled

RECEIVER_ONLY = [ipaddress.ip_network("127.0.0.1/32")]
# httpx itself rejects some numeric spellings (a dotted IPv4 host with a leading zero) when it
# parses the URL, before the guard sees the request, and reports one in a redirect's Location
# as a protocol error.
REJECTED = (outbound.OutboundRejected, httpx.InvalidURL, httpx.RemoteProtocolError)


class Trap:
    """A TCP listener that counts the connections it accepts and answers none of them."""

    def __init__(self, family: socket.AddressFamily, address: str) -> None:
        self.accepted = 0
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.bind((address, 0))
        self.socket.listen()
        self.socket.settimeout(0.1)
        self.port: int = self.socket.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.socket.close()


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> ConnectionRecorder:
    recorder = ConnectionRecorder()
    monkeypatch.setattr(socket, "create_connection", recorder)
    return recorder


@pytest.fixture(scope="module")
def shared_traps() -> Iterator[dict[str, Trap]]:
    made = {"v4": Trap(socket.AF_INET, "127.0.0.2")}
    # Without IPv6 on loopback, the ::1 forms are rejected all the same; no listener counts them.
    with contextlib.suppress(OSError):
        made["v6"] = Trap(socket.AF_INET6, "::1")
    yield made
    for trap in made.values():
        trap.close()


@pytest.fixture
def traps(shared_traps: dict[str, Trap]) -> dict[str, Trap]:
    for trap in shared_traps.values():
        trap.accepted = 0
    return shared_traps


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def receiver(shared_receiver: Receiver) -> Receiver:
    shared_receiver.routes.clear()
    shared_receiver.requests.clear()
    shared_receiver.connections = 0
    return shared_receiver


# Each spelling of 127.0.0.2 (the v4 trap) and ::1 (the v6 trap); `{v4}` and `{v6}` are
# the traps' ports. 127.0.0.1 itself is the allowed receiver, so it is not among them.
INSIDE = [
    "http://127.0.0.2:{v4}/",
    "http://2130706434:{v4}/",  # decimal
    "http://0177.0.0.2:{v4}/",  # octal
    "http://0177.0.0.02:{v4}/",
    "http://0x7f.0.0.2:{v4}/",  # hexadecimal
    "http://0x7f000002:{v4}/",
    "http://0X7F.0X0.0X0.0X2:{v4}/",
    "http://017700000002:{v4}/",
    "http://127.2:{v4}/",  # short forms: 127.0.0.2
    "http://127.0.2:{v4}/",
    "http://127.0.0.2.:{v4}/",  # trailing dot
    "http://[::ffff:127.0.0.2]:{v4}/",  # IPv4-mapped
    "http://[::ffff:7f00:2]:{v4}/",
    "http://[0:0:0:0:0:ffff:7f00:2]:{v4}/",
    "http://[::127.0.0.2]:{v4}/",  # IPv4-compatible
    "http://[::ffff:0:7f00:2]:{v4}/",  # IPv4-translated (SIIT)
    "http://[64:ff9b::7f00:2]:{v4}/",  # NAT64
    "http://[64:ff9b:1::7f00:2]:{v4}/",
    "http://[2002:7f00:2::1]:{v4}/",  # 6to4
    "http://[::1]:{v6}/",
    "http://[0:0:0:0:0:0:0:1]:{v6}/",
    "http://trap.test:{v4}/",  # names resolved by the stub below
    "http://TRAP.TEST.:{v4}/",
    "http://six.test:{v6}/",
    "http://mixed.test:{v4}/",
    "http://mapped.test:{v4}/",
]
# Addresses outside the loopback network that no request may reach.
ELSEWHERE = [
    "http://0.0.0.0:{v4}/",
    "http://0:{v4}/",
    "http://[::]:{v6}/",
    "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.0.1/", "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://2852039166/",
    "http://0251.0376.0251.0376/", "http://0xa9.0xfe.0xa9.0xfe/", "http://169.254.43518/",
    "http://[::ffff:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/",
    "http://[fd00:ec2::254]/", "http://[fe80::1]/", "http://[fec0::1]/", "http://[fc00::1]/",
    "http://224.0.0.1/", "http://239.255.255.250:1900/", "http://[ff02::1]/",
    "http://255.255.255.255/", "http://240.0.0.1/",
    "http://metadata.test/", "http://private.test/", "http://sitelocal.test/",
]
STUB = hosts({
    "trap.test": ["127.0.0.2"],
    "six.test": ["::1"],
    "mixed.test": ["127.0.0.1", "127.0.0.2"],
    "mapped.test": ["::ffff:127.0.0.2"],
    "metadata.test": ["169.254.169.254"],
    "private.test": ["10.1.2.3"],
    "sitelocal.test": ["fec0::1"],
    "receiver.test": ["127.0.0.1"],
})


def spelled(template: str, traps: dict[str, Trap]) -> str:
    ports = {name: trap.port for name, trap in traps.items()}
    ports.setdefault("v6", 9)
    return template.format(**ports)


def assert_untouched(traps: dict[str, Trap], attempts: ConnectionRecorder, *,
                     allowed: list[tuple[str, int]]) -> None:
    assert attempts.addresses == allowed
    for name, trap in traps.items():
        assert trap.accepted == 0, f"the {name} listener accepted a connection"


@pytest.mark.parametrize("template", INSIDE + ELSEWHERE)
def test_direct_request_rejected(template: str, traps: dict[str, Trap],
                                 attempts: ConnectionRecorder) -> None:
    with (
        outbound.guarded_client(resolver=STUB, allowed=RECEIVER_ONLY) as client,
        pytest.raises(REJECTED),
    ):
        client.get(spelled(template, traps))

    assert_untouched(traps, attempts, allowed=[])


@pytest.mark.parametrize("template", INSIDE + ELSEWHERE)
def test_redirect_from_allowed_receiver_rejected(template: str, traps: dict[str, Trap],
                                                 attempts: ConnectionRecorder,
                                                 receiver: Receiver) -> None:
    receiver.routes["/hook"] = (307, {"Location": spelled(template, traps)})

    with (
        outbound.guarded_client(resolver=STUB, allowed=RECEIVER_ONLY) as client,
        pytest.raises(REJECTED),
    ):
        client.get(f"http://receiver.test:{receiver.port}/hook")

    assert_untouched(traps, attempts, allowed=[("127.0.0.1", receiver.port)])
    assert [request["path"] for request in receiver.requests] == ["/hook"]


def test_redirect_chain_checked_at_every_hop(traps: dict[str, Trap], attempts: ConnectionRecorder,
                                             receiver: Receiver) -> None:
    """Two allowed hops on the receiver, then a relative redirect to a name inside."""
    trap_url = spelled("http://trap.test:{v4}/", traps)
    receiver.routes["/a"] = (302, {"Location": "/b"})
    receiver.routes["/b"] = (302, {"Location": trap_url})

    with (
        outbound.guarded_client(resolver=STUB, allowed=RECEIVER_ONLY) as client,
        pytest.raises(outbound.OutboundRejected, match="loopback"),
    ):
        client.get(f"http://127.0.0.1:{receiver.port}/a")

    assert_untouched(traps, attempts,
                     allowed=[("127.0.0.1", receiver.port), ("127.0.0.1", receiver.port)])


def test_second_answer_cannot_swap_address(traps: dict[str, Trap], attempts: ConnectionRecorder,
                                           receiver: Receiver) -> None:
    """A name that first resolves to the receiver and then inside is checked on each hop."""
    answers = [["127.0.0.1"], ["127.0.0.2"]]
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls), len(answers)) - 1]

    receiver.routes["/hook"] = (302, {"Location": f"http://rebind.test:{traps['v4'].port}/"})

    with (
        outbound.guarded_client(resolver=rebinding, allowed=RECEIVER_ONLY) as client,
        pytest.raises(outbound.OutboundRejected, match=r"127\.0\.0\.2"),
    ):
        client.get(f"http://rebind.test:{receiver.port}/hook")

    assert calls == ["rebind.test", "rebind.test"]
    assert_untouched(traps, attempts, allowed=[("127.0.0.1", receiver.port)])


def test_allowed_receiver_reached(attempts: ConnectionRecorder, receiver: Receiver) -> None:
    """The same client does reach the allowed receiver, so the rejections above are the guard's."""
    with outbound.guarded_client(resolver=STUB, allowed=RECEIVER_ONLY) as client:
        response = client.get(f"http://receiver.test:{receiver.port}/ok")

    assert response.status_code == 200
    assert attempts.addresses == [("127.0.0.1", receiver.port)]
    assert receiver.connections == 1


@pytest.mark.parametrize("text", ["::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe", "fec0::1",
                                  "5f00::1", "::1:7f00:1"])
def test_rejection_of_rare_ipv6_forms(text: str) -> None:
    """IPv4-translated (SIIT), site-local and reserved IPv6 addresses are not global."""
    assert outbound.rejection(ipaddress.ip_address(text)) is not None


def test_unreachable_resolver_names_host(attempts: ConnectionRecorder) -> None:
    with (
        outbound.guarded_client(resolver=STUB, allowed=[]) as client,
        pytest.raises(httpx.ConnectError, match=r"nowhere\.test"),
    ):
        client.get("http://nowhere.test/")
    assert attempts.addresses == []


def test_listener_counts_connections(traps: dict[str, Trap]) -> None:
    """The trap counts a real connection, so a count of zero above means none was made."""
    with socket.create_connection(("127.0.0.2", traps["v4"].port), timeout=2):
        pass
    for _ in range(50):
        if traps["v4"].accepted:
            break
        threading.Event().wait(0.02)
    assert traps["v4"].accepted == 1



# Spellings that reach the webhook sender through a redirect; names need the stub resolver,
# which the sender does not take, so only literal forms are sent this way.
SENT_THROUGH_WORKER = ["http://127.0.0.2:{v4}/", "http://2130706434:{v4}/",
                       "http://0177.0.0.2:{v4}/", "http://[::ffff:0:7f00:2]:{v4}/",
                       "http://[::1]:{v6}/", "http://0.0.0.0:{v4}/",
                       "http://[fec0::1]/"]


@pytest.mark.django_db
@pytest.mark.parametrize("template", SENT_THROUGH_WORKER)
def test_webhook_redirect_fails_delivery(template: str, page: Page, actor: Actor,
                                         hooks: HookReceiver, settings: Any,
                                         traps: dict[str, Trap],
                                         attempts: ConnectionRecorder) -> None:
    """The worker sends a notice to an allowed receiver that redirects inside: it fails."""
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.1/32"]
    hooks.location = spelled(template, traps)
    webhooks.add_webhook(page, url=hooks.url, flavour="json", services=None, actor=actor)
    incidents.open_incident(page, title="Down", text="Down.", state=State.MAJOR_OUTAGE,
                            status=Status.INVESTIGATING, actor=actor)

    send_until_settled()

    delivery = Delivery.objects.get(channel="webhook")
    # NOTE: a Location that httpx cannot parse (0177.0.0.2) is retried as a temporary failure
    # until the delivery gives up, where the guard's rejections fail at once.
    assert delivery.status != DeliveryStatus.SENT
    assert delivery.sent_at is None
    hook_port = int(hooks.url.split(":")[2].split("/")[0])
    assert set(attempts.addresses) == {("127.0.0.1", hook_port)}
    assert all(trap.accepted == 0 for trap in traps.values())
