"""Fixtures of the notification tests: a scripted channel, and an SMTP sink on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from huey.contrib.djhuey import HUEY

from heliograph.notifications import channels
from heliograph.notifications.channels import Notice, Recipient
from heliograph.notifications.models import Delivery
from tests.notifications.smtp_sink import SinkHandler, start


@dataclass
class ScriptedChannel:
    """A channel whose recipients are `people` and whose sends raise `failures` in turn."""

    name: str = "scripted"
    people: list[str] = field(default_factory=lambda: ["ann", "bob"])
    failures: list[BaseException | None] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    def recipients(self, notice: Notice) -> Iterable[Recipient]:
        self.notices.append(notice)
        return [Recipient(person, f"{person}@example.com") for person in self.people]

    def send(self, delivery: Delivery) -> None:
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        self.sent.append(delivery.idempotency_key)


@pytest.fixture
def scripted() -> Iterator[ScriptedChannel]:
    """Register a scripted channel as the only channel for the length of a test."""
    saved = channels.registered()
    for channel in saved:
        channels.unregister(channel.name)
    channel = ScriptedChannel()
    channels.register(channel)
    yield channel
    channels.unregister(channel.name)
    for channel in saved:
        channels.register(channel)


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SinkHandler]:
    """Start an SMTP server on 127.0.0.1 and point Django's real SMTP backend at it.

    Subscription e-mails, which the worker sends as Huey tasks, run at once in the test.
    """
    handler = SinkHandler()
    controller = start(handler)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.HELIOGRAPH_FROM_EMAIL = "Status <status@heliograph.test>"
    settings.HELIOGRAPH_BASE_URL = "https://status.heliograph.test"
    immediate = HUEY.immediate
    HUEY.immediate = True
    # The rate limits count in the cache, which outlives a test.
    cache.clear()
    yield handler
    HUEY.immediate = immediate
    controller.stop()
