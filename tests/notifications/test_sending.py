"""Claiming, sending, retrying and giving up on deliveries."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from hypothesis import given
from hypothesis import strategies as st

from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from heliograph.notifications import channels, sending
from heliograph.notifications.channels import PermanentFailure, TemporaryFailure
from heliograph.notifications.models import Attempt, AttemptOutcome, Delivery, DeliveryStatus
from heliograph.notifications.tasks import sweep_deliveries
from tests.notifications.conftest import ScriptedChannel

pytestmark = pytest.mark.django_db


def open_one(page: Page, actor: Actor) -> None:
    incidents.open_incident(page, title="API errors", text="Looking into it.",
                            state=State.PARTIAL_OUTAGE, status=Status.INVESTIGATING, actor=actor)


def only_delivery() -> Delivery:
    return Delivery.objects.get()


def test_send_due_sends_each_once(page: Page, actor: Actor, scripted: ScriptedChannel) -> None:
    open_one(page, actor)

    assert sending.send_due() == 2
    assert sending.send_due() == 0

    assert sorted(scripted.sent) == sorted(Delivery.objects.values_list("idempotency_key",
                                                                        flat=True))
    for delivery in Delivery.objects.all():
        assert delivery.status == DeliveryStatus.SENT
        assert delivery.sent_at is not None
        assert delivery.attempt_count == 1
        assert delivery.lease_until is None
        attempt = delivery.attempts.get()
        assert attempt.outcome == AttemptOutcome.SENT
        assert attempt.error == ""
        assert attempt.duration_ms >= 0


def test_temporary_failure_backs_off(page: Page, actor: Actor, scripted: ScriptedChannel) -> None:
    scripted.people = ["ann"]
    scripted.failures = [TemporaryFailure("421 try again later")]
    open_one(page, actor)
    before = timezone.now()

    sending.send_due()

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempt_count == 1
    assert "421 try again later" in delivery.last_error
    delay = delivery.due_at - before
    assert sending.BACKOFF_BASE / 2 <= delay <= sending.BACKOFF_BASE + dt.timedelta(seconds=1)
    attempt = delivery.attempts.get()
    assert attempt.outcome == AttemptOutcome.RETRY
    assert attempt.error == "TemporaryFailure: 421 try again later"
    assert scripted.sent == []


def test_retry_waits_until_due(page: Page, actor: Actor, scripted: ScriptedChannel) -> None:
    scripted.people = ["ann"]
    scripted.failures = [OSError("connection reset")]
    open_one(page, actor)
    sending.send_due()

    assert sending.send_due() == 0
    with time_machine.travel(only_delivery().due_at + dt.timedelta(seconds=1)):
        assert sending.send_due() == 1

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.SENT
    assert [a.outcome for a in delivery.attempts.all()] == [AttemptOutcome.RETRY,
                                                             AttemptOutcome.SENT]
    assert delivery.attempts.first().error == "OSError: connection reset"  # type: ignore[union-attr]


def test_permanent_failure_fails_at_once(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    scripted.people = ["ann"]
    scripted.failures = [PermanentFailure("550 no such mailbox")]
    open_one(page, actor)

    sending.send_due()

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.failed_at is not None
    assert delivery.attempts.get().outcome == AttemptOutcome.FAILED


def test_gives_up_after_deadline(page: Page, actor: Actor, scripted: ScriptedChannel) -> None:
    scripted.people = ["ann"]
    scripted.failures = [TemporaryFailure("busy")] * 100
    open_one(page, actor)
    give_up_at = only_delivery().give_up_at

    rounds = 0
    while only_delivery().status == DeliveryStatus.PENDING:
        rounds += 1
        assert rounds < 100, "the delivery was never given up"
        with time_machine.travel(only_delivery().due_at + dt.timedelta(seconds=1)):
            sending.send_due()

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.failed_at is not None
    # A retry is never scheduled after the give-up time.
    retries = list(delivery.attempts.filter(outcome=AttemptOutcome.RETRY))
    assert retries
    assert delivery.attempts.last().outcome == AttemptOutcome.FAILED  # type: ignore[union-attr]
    assert delivery.attempt_count == len(retries) + 1
    assert delivery.failed_at <= give_up_at + sending.BACKOFF_MAX
    # Delays doubled up to the maximum: 30 s, 1 min, 2 min, ... 1 h; about 30 attempts in 24 h.
    assert 20 <= delivery.attempt_count <= 60


def test_unknown_channel_fails(page: Page, actor: Actor, scripted: ScriptedChannel) -> None:
    scripted.people = ["ann"]
    open_one(page, actor)
    channels.unregister("scripted")

    sending.send_due()

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert "the channel 'scripted' is not available" in delivery.last_error


def test_expired_lease_is_taken_again(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    """A worker killed after claiming leaves its deliveries to the next worker after the lease."""
    scripted.people = ["ann"]
    open_one(page, actor)
    dead = sending.claim_due()
    assert [d.status for d in dead.deliveries] == [DeliveryStatus.SENDING]

    assert sending.claim_due().deliveries == []
    lease_until = only_delivery().lease_until
    assert lease_until is not None
    with time_machine.travel(lease_until + dt.timedelta(seconds=1)):
        live = sending.claim_due()
        assert len(live.deliveries) == 1
        assert sending.send_one(live.deliveries[0], live.token) == AttemptOutcome.SENT

    assert scripted.sent == [only_delivery().idempotency_key]


def test_abandoned_after_give_up_fails(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    """A delivery whose worker dies after its give-up time is failed, not claimed again."""
    scripted.people = ["ann"]
    open_one(page, actor)
    give_up_at = only_delivery().give_up_at
    with time_machine.travel(give_up_at - dt.timedelta(seconds=5)):
        assert len(sending.claim_due().deliveries) == 1

    with time_machine.travel(give_up_at + sending.lease()):
        assert sending.claim_due().deliveries == []

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.failed_at is not None
    assert "The worker stopped while sending it" in delivery.last_error
    assert scripted.sent == []


def test_stale_claim_cannot_finish(page: Page, actor: Actor, scripted: ScriptedChannel) -> None:
    """A worker whose lease was taken over stores nothing when its late send returns."""
    scripted.people = ["ann"]
    open_one(page, actor)
    stale = sending.claim_due()
    lease_until = only_delivery().lease_until
    assert lease_until is not None
    with time_machine.travel(lease_until + dt.timedelta(seconds=1)):
        fresh = sending.claim_due()
        sending.send_one(fresh.deliveries[0], fresh.token)

        sending.send_one(stale.deliveries[0], stale.token)

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempt_count == 1
    assert Attempt.objects.count() == 1


def test_retry_requeues_failed_delivery(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    scripted.people = ["ann"]
    scripted.failures = [PermanentFailure("550 rejected")]
    open_one(page, actor)
    sending.send_due()
    failed = only_delivery()

    assert sending.retry(failed) is True
    assert sending.retry(failed) is False
    sending.send_due()

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.failed_at is None
    assert delivery.give_up_at > failed.give_up_at


def test_retry_ignores_sent_delivery(page: Page, actor: Actor, scripted: ScriptedChannel) -> None:
    scripted.people = ["ann"]
    open_one(page, actor)
    sending.send_due()

    assert sending.retry(only_delivery()) is False
    assert only_delivery().status == DeliveryStatus.SENT


@given(st.integers(min_value=1, max_value=10_000))
def test_backoff_bounds(attempt_count: int) -> None:
    ceiling = min(sending.BACKOFF_BASE * 2 ** min(attempt_count - 1, 30), sending.BACKOFF_MAX)

    delay = sending.backoff(attempt_count)

    assert ceiling / 2 <= delay <= ceiling


def test_backoff_is_jittered() -> None:
    delays = {sending.backoff(3) for _ in range(20)}

    assert len(delays) > 1


def test_sweep_runs_every_minute() -> None:
    for minute in (0, 1, 59):
        due = HUEY.read_periodic(dt.datetime(2026, 3, 29, 1, minute))

        assert sweep_deliveries.task_class in [type(task) for task in due], minute


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_overlap(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    if connection.vendor == "sqlite":
        # The SQLite test database is in memory with a shared cache, whose table locks fail at
        # once instead of waiting. Worker processes on a real file cover SQLite.
        pytest.skip("threads need a database with row locks or a busy timeout")
    scripted.people = [f"person{n}" for n in range(30)]
    open_one(page, actor)
    barrier = threading.Barrier(4)
    claimed: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            while True:
                claim = sending.claim_due(limit=3)
                if not claim.deliveries:
                    return
                claimed.extend(d.pk for d in claim.deliveries)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(claimed) == 30
    assert len(set(claimed)) == 30
