"""Webhook notices sent through the worker to HTTP receivers on 127.0.0.1.

The receivers are allowed by HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8, as an operator
would allow an internal network. Requests use the real httpx client through the guard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.errors import InvalidValue
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from heliograph.notifications import sending, webhooks
from heliograph.notifications.models import (
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    WebhookSubscriber,
)
from tests.notifications.test_outbound import ConnectionRecorder

pytestmark = pytest.mark.django_db

HOSTILE = ('<script>alert(1)</script> & "quotes" \\ \u2028 <@everyone> <!channel> '
           "<https://evil.test|click> ünïcødé 🙂")


class HookReceiver:
    """An HTTP server on 127.0.0.1 that stores each POST and replies with `statuses` in turn."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.location = ""
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.received.append({"path": self.path, "headers": dict(self.headers),
                                          "body": self.rfile.read(length)})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(302 if receiver.location else status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> ConnectionRecorder:
    """Record every outgoing connection, and fail on one to an address other than 127.0.0.1."""
    recorder = ConnectionRecorder()
    monkeypatch.setattr(socket, "create_connection", recorder)
    return recorder


@pytest.fixture
def hooks(settings: Any) -> Iterator[HookReceiver]:
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    settings.HELIOGRAPH_BASE_URL = "https://status.heliograph.test"
    receiver = HookReceiver()
    yield receiver
    receiver.close()


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """Check a signature header the way a receiver should (the snippet in the docs)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, parts["v1"])


def add(page: Page, url: str, flavour: str = "json") -> WebhookSubscriber:
    return webhooks.add_webhook(page, url=url, flavour=flavour, services=None,
                                actor=Actor.system())


def open_incident(page: Page, actor: Actor, text: str = "Sign-ins **fail**.",
                  title: str = "Login errors") -> None:
    incidents.open_incident(page, title=title, text=text, state=State.MAJOR_OUTAGE,
                            status=Status.INVESTIGATING, services=[], actor=actor)


def send_until_settled(rounds: int = 10) -> None:
    """Run the worker, jumping past each retry delay, until no delivery is pending."""
    for _ in range(rounds):
        sending.send_due()
        pending = Delivery.objects.filter(status=DeliveryStatus.PENDING).order_by("due_at")
        nxt = pending.first()
        if nxt is None:
            return
        with time_machine.travel(nxt.due_at + dt.timedelta(seconds=1), tick=False):
            sending.send_due()


def test_signed_json_retried_until_delivered(page: Page, actor: Actor,
                                             hooks: HookReceiver) -> None:
    subscriber = add(page, hooks.url)
    hooks.statuses = [500, 500, 200]
    open_incident(page, actor)

    send_until_settled()

    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.status == DeliveryStatus.SENT
    outcomes = list(delivery.attempts.values_list("outcome", flat=True))
    assert outcomes == [AttemptOutcome.RETRY, AttemptOutcome.RETRY, AttemptOutcome.SENT]
    assert len(hooks.received) == 3
    last = hooks.received[-1]
    header = last["headers"]["X-Heliograph-Signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert verify(subscriber.secret, header, last["body"], now=timestamp)
    assert not verify("whsec_wrong", header, last["body"], now=timestamp)
    assert not verify(subscriber.secret, header, last["body"] + b" ", now=timestamp)
    assert not verify(subscriber.secret, header, last["body"], now=timestamp + 301)
    payload = json.loads(last["body"])
    assert payload["type"] == "incident.event"
    assert payload["page"] == {"slug": "acme", "title": page.title,
                               "url": "https://status.heliograph.test/p/acme/"}
    assert payload["incident"]["title"] == "Login errors"
    assert payload["update"]["text"] == "Sign-ins **fail**."
    assert payload["update"]["status"] == "investigating"
    assert payload["maintenance"] is None
    assert payload["links"]["html"].endswith(f"/p/acme/incidents/{payload['incident']['id']}")
    assert last["headers"]["X-Heliograph-Delivery"] == delivery.idempotency_key
    assert last["headers"]["Content-Type"] == "application/json"


def test_slack_body_shape_and_escaping(page: Page, actor: Actor, hooks: HookReceiver) -> None:
    add(page, hooks.url, "slack")
    open_incident(page, actor, text=HOSTILE + "x" * 5000, title="Down <b>&</b>")

    send_until_settled()

    [request] = hooks.received
    assert "X-Heliograph-Signature" not in request["headers"]
    body = json.loads(request["body"])
    assert set(body) >= {"text", "blocks"}
    header, section, context = body["blocks"]
    assert header["type"] == "header"
    assert len(header["text"]["text"]) <= 150
    assert section["text"]["type"] == "mrkdwn"
    text = section["text"]["text"]
    assert len(text) <= 3000
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in text
    assert "<!channel>" not in text
    assert "<https://evil.test|click>" not in text
    assert "&lt;!channel&gt;" in text
    assert text.endswith("…")
    link_text = context["elements"][0]["text"]
    assert link_text.endswith("/p/acme/incidents/" + link_text.split("/incidents/")[1])
    assert "<https://status.heliograph.test/p/acme/incidents/" in link_text


def test_discord_body_shape_and_limits(page: Page, actor: Actor, hooks: HookReceiver) -> None:
    add(page, hooks.url, "discord")
    open_incident(page, actor, text=HOSTILE + "y" * 5000, title="T" * 300)

    send_until_settled()

    [request] = hooks.received
    body = json.loads(request["body"])
    assert len(body["content"]) <= 2000
    assert body["allowed_mentions"] == {"parse": []}
    [embed] = body["embeds"]
    assert len(embed["title"]) == 256
    assert embed["title"].endswith("…")
    assert len(embed["description"]) <= 4096
    assert embed["description"].endswith("…")
    assert embed["description"].startswith(HOSTILE)
    assert embed["url"].startswith("https://status.heliograph.test/p/acme/incidents/")
    assert [field["name"] for field in embed["fields"]] == ["Status", "When", "Services"]
    texts = [embed["title"], embed["description"]]
    texts += [field["name"] + field["value"] for field in embed["fields"]]
    assert sum(len(text) for text in texts) <= 6000


def test_hostile_text_stays_valid_json(page: Page, actor: Actor, hooks: HookReceiver) -> None:
    add(page, hooks.url)
    open_incident(page, actor, text=HOSTILE, title=HOSTILE[:100])

    send_until_settled()

    [request] = hooks.received
    payload = json.loads(request["body"].decode("utf-8"))
    assert payload["update"]["text"] == HOSTILE
    assert payload["incident"]["title"] == HOSTILE[:100]


def test_maintenance_payload(page: Page, actor: Actor, hooks: HookReceiver) -> None:
    add(page, hooks.url)
    start = timezone.now() + dt.timedelta(days=1)
    maintenances.schedule_maintenance(page, title="Database upgrade", description="Short.",
                                      starts_at=start, ends_at=start + dt.timedelta(hours=1),
                                      services=[], actor=actor)

    send_until_settled()

    [request] = hooks.received
    payload = json.loads(request["body"])
    assert payload["type"] == "maintenance.scheduled"
    assert payload["incident"] is None
    assert payload["maintenance"]["title"] == "Database upgrade"
    assert payload["maintenance"]["starts_at"] == start.isoformat()
    assert payload["update"] is None


def test_permanent_failures_disable_subscriber(page: Page, actor: Actor,
                                               hooks: HookReceiver) -> None:
    subscriber = add(page, hooks.url)
    hooks.statuses = [410] * webhooks.DISABLE_AFTER

    for number in range(webhooks.DISABLE_AFTER):
        open_incident(page, actor, title=f"Incident {number}")
        send_until_settled()

    subscriber.refresh_from_db()
    assert subscriber.consecutive_failures == webhooks.DISABLE_AFTER
    assert subscriber.disabled_at is not None
    assert "5 permanent failures in a row" in subscriber.disabled_reason
    assert "HTTP 410" in subscriber.disabled_reason
    failed = Delivery.objects.filter(channel="webhook", status=DeliveryStatus.FAILED)
    assert failed.count() == webhooks.DISABLE_AFTER
    assert all(delivery.attempt_count == 1 for delivery in failed)

    open_incident(page, actor, title="After disabling")
    assert Delivery.objects.filter(channel="webhook").count() == webhooks.DISABLE_AFTER
    assert len(hooks.received) == webhooks.DISABLE_AFTER


def test_success_resets_failure_count(page: Page, actor: Actor, hooks: HookReceiver) -> None:
    subscriber = add(page, hooks.url)
    hooks.statuses = [404, 404, 200]

    for number in range(3):
        open_incident(page, actor, title=f"Incident {number}")
        send_until_settled()

    subscriber.refresh_from_db()
    assert subscriber.consecutive_failures == 0
    assert subscriber.disabled_at is None


@pytest.mark.parametrize("status", [408, 429, 502])
def test_temporary_statuses_are_retried(status: int, page: Page, actor: Actor,
                                        hooks: HookReceiver) -> None:
    subscriber = add(page, hooks.url)
    hooks.statuses = [status]
    open_incident(page, actor)

    send_until_settled()

    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempt_count == 2
    subscriber.refresh_from_db()
    assert subscriber.consecutive_failures == 0


def test_rejected_address_is_permanent(page: Page, actor: Actor, hooks: HookReceiver,
                                       settings: Any) -> None:
    subscriber = add(page, hooks.url)
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = []
    open_incident(page, actor)

    send_until_settled()

    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.status == DeliveryStatus.FAILED
    assert "loopback" in delivery.last_error
    assert hooks.received == []
    subscriber.refresh_from_db()
    assert subscriber.consecutive_failures == 1


@pytest.mark.parametrize(("url", "code"), [
    ("", "required"), ("ftp://hooks.example.com/", "invalid_url"),
    ("http://user:pw@hooks.example.com/", "invalid_url"), ("http://2130706433/", "invalid_url"),
    ("http://169.254.169.254/latest/", "address_rejected"),
    ("http://[::ffff:10.0.0.1]/", "address_rejected"),
])
def test_add_webhook_rejects_url(url: str, code: str, page: Page) -> None:
    with pytest.raises(InvalidValue) as raised:
        add(page, url)
    assert raised.value.code == code
    assert raised.value.field == "url"
    assert WebhookSubscriber.objects.count() == 0


def test_add_webhook_rejects_flavour(page: Page) -> None:
    with pytest.raises(InvalidValue) as raised:
        add(page, "https://hooks.example.com/x", flavour="teams")
    assert raised.value.field == "flavour"
    assert WebhookSubscriber.objects.count() == 0


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data/",
                                      "http://[::ffff:169.254.169.254]/", "http://[::1]:9/",
                                      "http://10.0.0.1/"])
def test_redirect_to_internal_address_fails(location: str, page: Page, actor: Actor,
                                            hooks: HookReceiver, settings: Any,
                                            recorded: ConnectionRecorder) -> None:
    """The receiver (127.0.0.1, allowed) redirects; the target is rejected before connecting.

    A redirect from an allowed public host to 127.0.0.1 is covered in test_outbound.py.
    """
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.1/32"]
    port = int(hooks.url.split(":")[2].split("/")[0])
    hooks.location = location
    add(page, hooks.url)
    open_incident(page, actor)

    send_until_settled()

    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.status == DeliveryStatus.FAILED
    assert "address rejected" in delivery.last_error
    assert recorded.addresses == [("127.0.0.1", port)]
    assert len(hooks.received) == 1
