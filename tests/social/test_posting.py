"""Posting incident events and maintenances to X and Mastodon through the outbox."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any
from unittest.mock import patch

import pytest
import time_machine
from django.utils import timezone

from heliograph.accounts.sealing import unseal
from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from heliograph.notifications import post_text, sending
from heliograph.notifications.models import Attempt, AttemptOutcome, Delivery, DeliveryStatus
from heliograph.social.models import Network, SocialAccount, SocialPost
from tests.social.fakes import FakeMastodon, FakeX

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_social")]


def open_one(page: Page, actor: Actor, text: str = "Looking into it.") -> Incident:
    return incidents.open_incident(page, title="API errors", text=text,
                                   state=State.PARTIAL_OUTAGE, status=Status.INVESTIGATING,
                                   actor=actor)


def delivery_on(channel: str) -> Delivery:
    return Delivery.objects.get(channel=channel)


def test_x_posts_and_stores_id(page: Page, actor: Actor, x_account: SocialAccount,
                               fake_x: FakeX) -> None:
    incident = open_one(page, actor)
    assert sending.send_due() == 1

    delivery = delivery_on("x")
    assert delivery.status == DeliveryStatus.SENT
    assert fake_x.errors == []
    assert len(fake_x.tweets) == 1
    text = fake_x.tweets[0]["text"]
    assert text.startswith("[Partial outage] API errors (Investigating)")
    assert text.endswith(f"https://status.heliograph.test/p/acme/incidents/{incident.pk}")
    post = SocialPost.objects.get(delivery=delivery)
    assert post.post_id == fake_x.tweets[0]["id"]
    assert post.posted_at is not None
    assert post.text == text


def test_x_signature_checked(page: Page, actor: Actor, x_account: SocialAccount,
                             fake_x: FakeX) -> None:
    fake_x.token_secret = "another-secret"
    open_one(page, actor)
    sending.send_due()

    delivery = delivery_on("x")
    assert fake_x.errors == ["bad authorization"]
    assert delivery.status == DeliveryStatus.FAILED
    assert "401" in delivery.last_error


def test_x_long_text_cut_to_fit(page: Page, actor: Actor, x_account: SocialAccount,
                                fake_x: FakeX) -> None:
    open_one(page, actor, text="\u969c\u5bb3\u304c\u767a\u751f " * 100)
    sending.send_due()

    text = fake_x.tweets[0]["text"]
    assert post_text.count(text, post_text.X) <= 280
    assert f"{post_text.ELLIPSIS}\n\nhttps://" in text


def test_x_duplicate_counts_as_sent(page: Page, actor: Actor, x_account: SocialAccount,
                                    fake_x: FakeX) -> None:
    fake_x.script = ["duplicate"]
    open_one(page, actor)
    sending.send_due()

    delivery = delivery_on("x")
    assert delivery.status == DeliveryStatus.SENT
    post = SocialPost.objects.get(delivery=delivery)
    assert post.post_id == ""
    assert post.posted_at is not None
    assert fake_x.tweets == []


def test_x_rate_limit_waits_for_reset(page: Page, actor: Actor, x_account: SocialAccount,
                                      fake_x: FakeX) -> None:
    now = timezone.now()
    reset = now + dt.timedelta(hours=2)
    fake_x.reset_at = int(reset.timestamp())
    fake_x.script = ["rate_limit"]
    open_one(page, actor)
    sending.send_due()

    delivery = delivery_on("x")
    assert delivery.status == DeliveryStatus.PENDING
    # The backoff alone would retry within a minute; the reset time is two hours away.
    assert delivery.due_at >= reset.replace(microsecond=0)
    assert "rate limit" in delivery.last_error
    assert Attempt.objects.get(delivery=delivery).outcome == AttemptOutcome.RETRY

    with time_machine.travel(reset + dt.timedelta(seconds=1)):
        assert sending.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(fake_x.tweets) == 1


def test_x_missing_keys_fail(page: Page, actor: Actor, x_account: SocialAccount,
                             fake_x: FakeX, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELIOGRAPH_X_API_KEY")
    open_one(page, actor)
    sending.send_due()

    delivery = delivery_on("x")
    assert delivery.status == DeliveryStatus.FAILED
    assert "HELIOGRAPH_X_API_KEY" in delivery.last_error
    assert fake_x.tweets == []


def test_x_oauth2_bearer_token(page: Page, actor: Actor, fake_x: FakeX) -> None:
    fake_x.bearer = "oauth2-user-token"
    account = SocialAccount(page=page, network="x", handle="@acme_status")
    account.set_tokens("oauth2-user-token")
    account.save()
    open_one(page, actor)
    sending.send_due()

    assert delivery_on("x").status == DeliveryStatus.SENT
    assert len(fake_x.tweets) == 1


def test_mastodon_posts_with_idempotency_key(page: Page, actor: Actor,
                                             mastodon_account: SocialAccount,
                                             fake_mastodon: FakeMastodon) -> None:
    open_one(page, actor)
    sending.send_due()

    delivery = delivery_on("mastodon")
    assert delivery.status == DeliveryStatus.SENT
    assert len(fake_mastodon.requests) == 1
    request = fake_mastodon.requests[0]
    assert request["key"] == delivery.idempotency_key
    assert request["visibility"] == "public"
    assert request["status"].startswith("[Partial outage] API errors")
    post = SocialPost.objects.get(delivery=delivery)
    assert post.post_id == fake_mastodon.statuses[delivery.idempotency_key]["id"]
    assert post.post_url.endswith(post.post_id)


def test_mastodon_retry_reuses_key(page: Page, actor: Actor, mastodon_account: SocialAccount,
                                   fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.script = ["server_error"]
    open_one(page, actor)
    sending.send_due()
    delivery = delivery_on("mastodon")
    assert delivery.status == DeliveryStatus.PENDING

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        sending.send_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    keys = [request["key"] for request in fake_mastodon.requests]
    assert keys == [delivery.idempotency_key, delivery.idempotency_key]
    assert len(fake_mastodon.statuses) == 1


def test_mastodon_rate_limit_waits(page: Page, actor: Actor, mastodon_account: SocialAccount,
                                   fake_mastodon: FakeMastodon) -> None:
    reset = timezone.now() + dt.timedelta(hours=3)
    fake_mastodon.reset_at = int(reset.timestamp())
    fake_mastodon.script = ["rate_limit"]
    open_one(page, actor)
    sending.send_due()

    delivery = delivery_on("mastodon")
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.due_at >= reset.replace(microsecond=0)


def test_mastodon_bad_token_fails(page: Page, actor: Actor, mastodon_account: SocialAccount,
                                  fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.token = "rotated"
    open_one(page, actor)
    sending.send_due()

    delivery = delivery_on("mastodon")
    assert delivery.status == DeliveryStatus.FAILED
    assert "access token" in delivery.last_error


def test_mastodon_instance_limit(page: Page, actor: Actor, mastodon_account: SocialAccount,
                                 fake_mastodon: FakeMastodon) -> None:
    mastodon_account.max_characters = 120
    mastodon_account.save()
    open_one(page, actor, text="x" * 400)
    sending.send_due()

    text = fake_mastodon.requests[0]["status"]
    assert post_text.count(text, post_text.mastodon(120)) <= 120
    assert post_text.count(text, post_text.mastodon(120)) >= 110


def test_unlinked_account_cancels(page: Page, actor: Actor, mastodon_account: SocialAccount,
                                  fake_mastodon: FakeMastodon) -> None:
    open_one(page, actor)
    mastodon_account.delete()
    sending.send_due()

    assert delivery_on("mastodon").status == DeliveryStatus.CANCELLED
    assert fake_mastodon.requests == []


def test_both_networks_one_event(page: Page, actor: Actor, x_account: SocialAccount,
                                 mastodon_account: SocialAccount, fake_x: FakeX,
                                 fake_mastodon: FakeMastodon) -> None:
    incident = open_one(page, actor)
    incidents.post_event(incident, text="Fixed.", state=State.OPERATIONAL,
                         status=Status.RESOLVED, actor=actor)
    assert Delivery.objects.count() == 4
    sending.send_due()

    assert len(fake_x.tweets) == 2
    assert len(fake_mastodon.statuses) == 2
    assert SocialPost.objects.exclude(post_id="").count() == 4


def test_no_account_no_delivery(page: Page, actor: Actor) -> None:
    open_one(page, actor)
    assert not Delivery.objects.exists()


def test_tokens_sealed(x_account: SocialAccount) -> None:
    stored = SocialAccount.objects.values_list("sealed_token", "sealed_secret").get()
    assert "user-token" not in stored[0]
    assert "user-secret" not in stored[1]
    assert unseal(stored[0]) == "user-token"
    assert x_account.secret == "user-secret"


def test_maintenance_posted_once(page: Page, actor: Actor, mastodon_account: SocialAccount,
                                 fake_mastodon: FakeMastodon) -> None:
    starts = dt.datetime(2026, 7, 1, 22, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 6, 1, tzinfo=dt.UTC)):
        maintenance = maintenances.schedule_maintenance(
            page, title="Database upgrade", description="Read-only for 30 minutes.",
            starts_at=starts, ends_at=starts + dt.timedelta(hours=1), actor=actor)
        maintenances.post_event(maintenance, text="Starting.",
                                status=MaintenanceStatus.IN_PROGRESS, actor=actor)
        sending.send_due()

    assert Delivery.objects.count() == 1
    status = fake_mastodon.requests[0]["status"]
    assert status.startswith("[Scheduled maintenance] Database upgrade (")
    assert "2026" in status
    assert "Read-only for 30 minutes." in status
    assert status.endswith(f"/p/acme/maintenances/{maintenance.pk}")


@pytest.mark.parametrize("instance_url", ["https://169.254.169.254", "https://10.1.2.3:8443",
                                          "https://[::1]", "https://127.0.0.1:6379"])
def test_mastodon_internal_instance_rejected(instance_url: str, page: Page, actor: Actor,
                                             settings: Any) -> None:
    """An instance on a rejected address fails at once, before any connection is made."""
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = []
    account = SocialAccount(page=page, network=Network.MASTODON, handle="@acme@internal",
                            instance_url=instance_url)
    account.set_tokens("token")
    account.save()
    open_one(page, actor)

    with patch.object(socket.socket, "connect", side_effect=AssertionError("connected")):
        sending.send_due()

    delivery = Delivery.objects.get(channel="mastodon")
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("PermanentFailure: instance address rejected: ")
    assert not SocialPost.objects.filter(delivery=delivery).exclude(post_id="").exists()
