"""The finger server (RFC 1288), over real sockets on 127.0.0.1.

The server runs in this process, on an event loop in a thread of its own. Its database
threads read the test database, so the tests commit their data (transactional tests).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine

from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from heliograph.public.finger import FingerServer, Limits, parse_query

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)
FINGER_PORT = 79

Start = Callable[..., int]


@pytest.fixture
def start_server() -> Iterator[Start]:
    """Start finger servers with the given limits; return each one's port."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    servers: list[FingerServer] = []

    def start(limits: Limits | None = None, port: int = 0) -> int:
        server = FingerServer(limits or Limits())
        servers.append(server)
        return asyncio.run_coroutine_threadsafe(server.start("127.0.0.1", port), loop).result(10)

    yield start
    for server in servers:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def query(port: int, request: bytes, *, timeout: float = 10) -> bytes:
    """Send `request` and return everything the server sends before it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        return read_all(connection)


def read_all(connection: socket.socket) -> bytes:
    answer = b""
    while chunk := connection.recv(4096):
        answer += chunk
    return answer


@pytest.fixture
def status_page(page: Page, add_service, actor: Actor) -> Page:
    """A Zurich page with a major outage on API, a maintenance, and an operational service."""
    Page.objects.filter(pk=page.pk).update(time_zone="Europe/Zurich", title="Acme Status")
    page.refresh_from_db()
    api = add_service("API")
    add_service("Database")
    with time_machine.travel(NOW, tick=False):
        incidents.open_incident(page, title="Elevated API errors", text="We are looking into it.",
                                state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                services=[api], actor=actor)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    maintenances.schedule_maintenance(page, title="Database upgrade", description="",
                                      starts_at=start, ends_at=start + dt.timedelta(hours=1),
                                      services=[], actor=actor)
    return page


def text_of(answer: bytes) -> str:
    assert answer.endswith(b"\r\n")
    # Every line ends with CRLF: no bare LF.
    assert answer.count(b"\n") == answer.count(b"\r\n")
    return answer.decode("utf-8")


def test_page_query(start_server, status_page):
    port = start_server()

    text = text_of(query(port, b"acme\r\n"))

    assert text.startswith("Acme Status (acme)\r\n")
    assert "Status: Major outage - Elevated API errors\r\n" in text
    assert "  API       Major outage\r\n" in text
    assert "  Database  Operational\r\n" in text
    assert "Elevated API errors: Major outage, Investigating, since 2026-11-03 13:00 CET" in text
    assert "Times in Europe/Zurich." in text
    assert text.endswith("Public page: http://acme.localhost:8000/\r\n")
    assert "We are looking into it." not in text
    assert "Database upgrade" not in text


def test_verbose_query(start_server, status_page):
    port = start_server()

    text = text_of(query(port, b"/W acme\r\n"))

    assert "    We are looking into it.\r\n" in text
    assert "Maintenances:\r\n" in text
    assert "Database upgrade: Scheduled" in text


def test_query_with_host(start_server, status_page):
    port = start_server()

    assert query(port, b"acme@status.example.com\r\n") == query(port, b"acme\r\n")
    assert query(port, b"ACME\r\n") == query(port, b"acme\r\n")


def test_forwarding_refused(start_server, status_page):
    port = start_server()

    text = text_of(query(port, b"acme@one.example@two.example\r\n"))

    assert text == "This server does not forward queries to other hosts.\r\n"


def test_empty_query_lists_public_pages(start_server, status_page, make_page):
    make_page("hidden", title="Hidden", is_private=True)
    make_page("beta", title="Beta")
    port = start_server()

    text = text_of(query(port, b"\r\n"))

    assert text.startswith("Public status pages on this server:\r\n")
    assert "  acme  Acme Status\r\n" in text
    assert "  beta  Beta\r\n" in text
    assert "hidden" not in text


def test_private_page_answered_as_unknown(start_server, make_page):
    make_page("hidden", title="Hidden", is_private=True)
    port = start_server()

    private = text_of(query(port, b"hidden\r\n"))
    missing = text_of(query(port, b"nosuchpage\r\n"))

    assert private == "No public status page is named 'hidden' here.\r\n"
    assert missing == "No public status page is named 'nosuchpage' here.\r\n"


def test_control_characters_stripped(start_server, status_page):
    # The domain rejects such titles; these were written past it, as an old import might.
    Page.objects.filter(pk=status_page.pk).update(
        title="Acme\x1b[2J\x1b]0;owned\x07 Status\u202e\r\nInjected: line")
    port = start_server()

    answer = query(port, b"acme\r\n")

    assert b"\x1b" not in answer
    assert b"\x07" not in answer
    assert "\u202e".encode() not in answer
    assert text_of(answer).startswith("Acme[2J]0;owned StatusInjected: line (acme)\r\n")


def test_oversized_request(start_server, status_page):
    port = start_server()

    text = text_of(query(port, b"a" * 600 + b"\r\n"))

    assert text == "The query is longer than 512 bytes: send a page name, such as acme.\r\n"


def test_oversized_request_without_line_end(start_server, status_page):
    port = start_server()

    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"a" * 100_000)
        text = text_of(read_all(connection))

    assert text.startswith("The query is longer than 512 bytes")


@pytest.mark.parametrize("junk", [b"\xff\xfe\x00\x01\r\n", b"ac\x00me\r\n", b"\x1b[2J\r\n"])
def test_binary_junk(start_server, status_page, junk):
    port = start_server()

    text = text_of(query(port, junk))

    assert text.count("\r\n") == 1
    assert "send a page name" in text


def test_two_names_rejected(start_server, status_page):
    port = start_server()

    assert text_of(query(port, b"acme beta\r\n")) == \
        "Ask for one page at a time, such as: finger acme@host\r\n"


def test_slow_client_times_out_others_answered(start_server, status_page):
    port = start_server(Limits(timeout=1.0))

    with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
        # Half a query and no line ending: the server waits at most the timeout for the rest.
        slow.sendall(b"ac")
        started = time.monotonic()
        answered = query(port, b"acme\r\n")
        slow_answer = read_all(slow)
        waited = time.monotonic() - started

    assert answered.startswith(b"Acme Status (acme)\r\n")
    assert slow_answer == b"No query received within 1 seconds.\r\n"
    assert waited < 8


def test_dripping_client_cut_at_timeout(start_server, status_page):
    port = start_server(Limits(timeout=1.0))

    with socket.create_connection(("127.0.0.1", port), timeout=10) as drip:
        started = time.monotonic()
        # One byte every 0.2 s never completes the line: the timeout covers the whole line.
        for _ in range(8):
            try:
                drip.sendall(b"a")
            except OSError:
                break
            time.sleep(0.2)
        answer = read_all(drip)

    assert answer == b"No query received within 1 seconds.\r\n"
    assert time.monotonic() - started < 5


def test_connection_cap(start_server, status_page):
    port = start_server(Limits(timeout=3.0, connections=4))
    held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
    try:
        time.sleep(0.3)
        refused = query(port, b"acme\r\n")
    finally:
        for connection in held:
            connection.close()
    time.sleep(0.3)
    served = query(port, b"acme\r\n")

    assert refused == b"The server is busy: try again in a few seconds.\r\n"
    assert served.startswith(b"Acme Status (acme)\r\n")


def test_many_clients_at_once(start_server, status_page):
    port = start_server(Limits(connections=64))

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda _: query(port, b"acme\r\n"), range(200)))

    # At most 32 are open at once, under the cap of 64, so every client is served.
    served = [answer for answer in answers if answer.startswith(b"Acme Status (acme)\r\n")]
    assert len(served) == 200
    assert len(set(answers)) == 1


def test_client_closing_early_leaves_server_up(start_server, status_page):
    port = start_server()
    for _ in range(20):
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        connection.close()

    assert query(port, b"acme\r\n").startswith(b"Acme Status (acme)\r\n")


@pytest.mark.parametrize("raw, name, verbose", [
    (b"acme\r\n", "acme", False),
    (b"/W acme\r\n", "acme", True),
    (b"/w   acme@host\n", "acme", True),
    (b"\r\n", "", False),
    (b"/W\r\n", "", True),
    (b"@host\r\n", "", False),
])
def test_parse_query(raw, name, verbose):
    parsed = parse_query(raw)

    assert parsed.name == name
    assert parsed.verbose is verbose


def test_system_finger_program(start_server, status_page):
    program = shutil.which("finger")
    if program is None:
        pytest.fail("The finger program is missing: apt-get install -y finger", pytrace=False)
    try:
        start_server(port=FINGER_PORT)
    except OSError as error:
        reason = "in use" if error.errno == errno.EADDRINUSE else error.strerror
        pytest.fail(f"Cannot listen on 127.0.0.1 port {FINGER_PORT}, which the finger program "
                    f"always uses ({reason}): run the tests as root, with the port free.",
                    pytrace=False)

    one = subprocess.run([program, "acme@127.0.0.1"], capture_output=True, timeout=30,
                         check=False, env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"})
    listing = subprocess.run([program, "-l", "@127.0.0.1"], capture_output=True, timeout=30,
                             check=False, env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"})

    assert one.returncode == 0, one.stderr
    out = one.stdout.decode()
    assert "Acme Status (acme)" in out
    assert "API       Major outage" in out
    assert "Public page: http://acme.localhost:8000/" in out
    assert listing.returncode == 0, listing.stderr
    assert "acme  Acme Status  http://acme.localhost:8000/" in listing.stdout.decode()
