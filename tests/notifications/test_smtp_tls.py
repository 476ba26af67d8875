"""E-mail over TLS: `smtps://` and STARTTLS against an aiosmtpd server with its own certificate.

The certificate is self-signed and made for 127.0.0.1 by `openssl` in the test. The client is
Django's SMTP backend, configured from an `EMAIL_URL`, and trusts the certificate only through
`SSL_CERT_FILE`, the variable OpenSSL reads for its default trust store.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from heliograph.lib.email_url import parse_email_url
from heliograph.notifications import sending
from heliograph.notifications.models import Delivery, DeliveryStatus, Subscriber
from tests.notifications.smtp_sink import SinkHandler, free_port

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_email")]


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    """Make a self-signed certificate and key for 127.0.0.1, valid for one day."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is missing: install it with `apt-get install -y openssl`.",
                    pytrace=False)
    made = Certificate(tmp_path / "cert.pem", tmp_path / "key.pem")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(made.key), "-out", str(made.cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    return made


@dataclass
class TlsHandler(SinkHandler):
    """A sink that also stores whether each message came over TLS."""

    encrypted: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # aiosmtpd fills `session.ssl` after STARTTLS; an smtps:// connection is TLS from the
        # start, which its transport shows.
        tls_transport = server.transport.get_extra_info("ssl_object") is not None
        self.encrypted.append(session.ssl is not None or tls_transport)
        return await super().handle_DATA(server, session, envelope)


def server_context(certificate: Certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    return context


@pytest.fixture
def only_email() -> Iterator[None]:
    """Keep only the e-mail channel registered, so no other channel is called."""
    from heliograph.notifications import channels

    saved = channels.registered()
    for channel in saved:
        if channel.name != "email":
            channels.unregister(channel.name)
    yield
    for channel in saved:
        channels.register(channel)


def use_email_url(settings: Any, url: str) -> None:
    """Apply `url` to the SMTP settings the way settings.py applies EMAIL_URL."""
    server = parse_email_url(url)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = server.user, server.password
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = server.use_tls, server.use_ssl
    settings.EMAIL_TIMEOUT = server.timeout
    settings.HELIOGRAPH_FROM_EMAIL = "Status <status@heliograph.test>"
    settings.HELIOGRAPH_BASE_URL = "https://status.heliograph.test"


@pytest.fixture
def starttls_server(certificate: Certificate) -> Iterator[tuple[TlsHandler, int]]:
    """An SMTP server that accepts mail only after STARTTLS."""
    handler = TlsHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            tls_context=server_context(certificate), require_starttls=True)
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def smtps_server(certificate: Certificate) -> Iterator[tuple[TlsHandler, int]]:
    """An SMTP server that speaks TLS from the first byte (port 465 style)."""
    handler = TlsHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            ssl_context=server_context(certificate))
    controller.start()
    yield handler, controller.port
    controller.stop()


def notify_one(page: Page, actor: Actor) -> Delivery:
    """Open an incident for one confirmed subscriber, send it, and return its delivery."""
    Subscriber.objects.create(page=page, email="reader@example.com",
                              confirmed_at=timezone.now())
    incidents.open_incident(page, title="Login errors", text="Some sign-ins fail.",
                            state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING, actor=actor)
    sending.send_due()
    return Delivery.objects.get(channel="email")


def test_starttls_delivers(settings: Any, monkeypatch: pytest.MonkeyPatch, page: Page,
                           actor: Actor, certificate: Certificate,
                           starttls_server: tuple[TlsHandler, int]) -> None:
    handler, port = starttls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    use_email_url(settings, f"smtp://127.0.0.1:{port}?tls=true")

    delivery = notify_one(page, actor)

    assert delivery.status == DeliveryStatus.SENT, delivery.last_error
    assert [received.to for received in handler.received] == [["reader@example.com"]]
    assert handler.encrypted == [True]


def test_smtps_delivers(settings: Any, monkeypatch: pytest.MonkeyPatch, page: Page,
                        actor: Actor, certificate: Certificate,
                        smtps_server: tuple[TlsHandler, int]) -> None:
    handler, port = smtps_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    use_email_url(settings, f"smtps://127.0.0.1:{port}")

    delivery = notify_one(page, actor)

    assert delivery.status == DeliveryStatus.SENT, delivery.last_error
    assert handler.received[0].message["Subject"]
    assert handler.encrypted == [True]


def test_untrusted_certificate_not_sent(settings: Any, monkeypatch: pytest.MonkeyPatch,
                                        page: Page, actor: Actor, tmp_path: Path,
                                        smtps_server: tuple[TlsHandler, int]) -> None:
    handler, port = smtps_server
    # An empty trust store: the server's self-signed certificate cannot be verified.
    empty = tmp_path / "no-authorities.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    use_email_url(settings, f"smtps://127.0.0.1:{port}")

    delivery = notify_one(page, actor)

    assert delivery.status == DeliveryStatus.PENDING
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    assert handler.received == []


def test_plain_smtp_refused_by_starttls_server(settings: Any, page: Page, actor: Actor,
                                               starttls_server: tuple[TlsHandler, int]
                                               ) -> None:
    handler, port = starttls_server
    use_email_url(settings, f"smtp://127.0.0.1:{port}")

    delivery = notify_one(page, actor)

    assert delivery.status != DeliveryStatus.SENT
    assert "STARTTLS" in delivery.last_error
    assert handler.received == []
