"""Helpers of the account tests: sign-ups, links from e-mails, and TOTP codes."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pyotp
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from heliograph.accounts import two_factor
from heliograph.accounts.models import User

PASSWORD = "correct horse 42"
NEW_PASSWORD = "battery staple 77"
# A host that is neither the main host nor a page's: used to build absolute links in e-mails.
BASE_URL = "https://status.example.test"

LINK = re.compile(r"https?://\S+")


def isolate_cache(settings: Any) -> None:
    """Give the test cache keys of its own, so login and e-mail counters never leak.

    The cache stays the configured one: in process, or Redis with REDIS_URL. The test
    processes and earlier runs share Redis, so a unique key prefix keeps tests apart
    without flushing it.
    """
    caches = {name: dict(config) for name, config in django_settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


def sign_up(client: Client, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/accounts/signup/", {
        "email": email, "password": password, "password_confirm": password,
    }, **extra)


def log_in(client: Client, email: str, password: str = PASSWORD, next_url: str = "",
           **extra: Any) -> Any:
    return client.post("/accounts/login/", {
        "email": email, "password": password, "next": next_url,
    }, **extra)


def links_in(message: mail.EmailMessage) -> list[str]:
    return LINK.findall(str(message.body))


def path_of(link: str) -> str:
    """Return the path of an absolute link from an e-mail, for the test client."""
    assert link.startswith(BASE_URL), link
    return link.removeprefix(BASE_URL)


def only_mail_to(email: str) -> mail.EmailMessage:
    sent = [message for message in mail.outbox if email in message.to]
    assert len(sent) == 1, [message.subject for message in sent]
    return sent[0]


def verification_path(email: str) -> str:
    message = only_mail_to(email)
    assert "Verify" in message.subject
    link, = links_in(message)
    return path_of(link)


def code_at(secret: str, offset_steps: int = 0) -> str:
    """Return the TOTP code of `secret` at the current time step plus `offset_steps`."""
    totp = pyotp.TOTP(secret, digits=two_factor.DIGITS, interval=two_factor.STEP_SECONDS)
    return totp.generate_otp(two_factor.current_step(time.time()) + offset_steps)


def turn_on_two_factor(user: User) -> tuple[str, list[str]]:
    """Give `user` a confirmed TOTP device; return its secret and the recovery codes."""
    device = two_factor.start_setup(user)
    secret = two_factor.secret_of(device)
    codes = two_factor.confirm_setup(device, code_at(secret))
    assert codes is not None
    return secret, codes


def body_text(response: Any) -> str:
    return str(response.content.decode())
