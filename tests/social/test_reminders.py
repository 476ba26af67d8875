"""Reminder posts before a maintenance starts: recorded once, caught up, never late."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Maintenance, Page
from heliograph.notifications import sending
from heliograph.notifications.channels import Kind
from heliograph.notifications.models import Delivery, DeliveryStatus
from heliograph.social.models import SocialAccount
from heliograph.social.reminders import record_due_reminders
from tests.social.fakes import FakeMastodon, FakeX
from tests.social.test_composer import signed_in, text_of, url

pytestmark = [pytest.mark.usefixtures("only_social")]

SCHEDULED_AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
STARTS = dt.datetime(2026, 3, 5, 21, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def schedule(page: Page, actor: Actor, starts_at: dt.datetime = STARTS) -> Maintenance:
    with time_machine.travel(SCHEDULED_AT, tick=False):
        return maintenances.schedule_maintenance(
            page, title="Database upgrade", description="Short pause.", starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=2), services=[], actor=actor,
        )


def reminders() -> list[Delivery]:
    return list(Delivery.objects.filter(kind=Kind.MAINTENANCE_REMINDER).order_by("id"))


def record_at(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return record_due_reminders()


@pytest.fixture
def x_reminding(x_account: SocialAccount) -> SocialAccount:
    x_account.reminder_minutes = 60
    x_account.save()
    return x_account


@pytest.mark.django_db
def test_reminder_posted_once(page: Page, actor: Actor, x_reminding: SocialAccount,
                              fake_x: FakeX) -> None:
    maintenance = schedule(page, actor)
    with time_machine.travel(SCHEDULED_AT, tick=False):
        sending.send_due()  # the announcement
    assert record_at(STARTS - 61 * MINUTE) == 0

    assert record_at(STARTS - 60 * MINUTE) == 1
    assert record_at(STARTS - 59 * MINUTE) == 0
    with time_machine.travel(STARTS - 59 * MINUTE, tick=False):
        assert sending.send_due() == 1

    [reminder] = reminders()
    assert reminder.status == DeliveryStatus.SENT
    assert reminder.maintenance_id == maintenance.pk
    text = fake_x.tweets[-1]["text"]
    assert text.startswith("[Maintenance starting soon] Database upgrade (starts ")
    assert text.endswith(f"/p/acme/maintenances/{maintenance.pk}")
    assert len(fake_x.tweets) == 2
    assert reminder.social_post.post_id == fake_x.tweets[-1]["id"]


@pytest.mark.django_db
def test_no_reminder_without_setting(page: Page, actor: Actor, x_account: SocialAccount,
                                     mastodon_account: SocialAccount) -> None:
    schedule(page, actor)

    assert record_at(STARTS - 5 * MINUTE) == 0
    assert reminders() == []


@pytest.mark.django_db
def test_caught_up_after_downtime(page: Page, actor: Actor, x_reminding: SocialAccount,
                                  fake_x: FakeX) -> None:
    schedule(page, actor)

    # The worker was down from an hour before the start until ten minutes before it.
    assert record_at(STARTS - 10 * MINUTE) == 1
    with time_machine.travel(STARTS - 10 * MINUTE, tick=False):
        assert sending.send_due() == 2
    assert [reminder.status for reminder in reminders()] == [DeliveryStatus.SENT]


@pytest.mark.django_db
def test_not_posted_once_started(page: Page, actor: Actor, x_reminding: SocialAccount,
                                 fake_x: FakeX) -> None:
    schedule(page, actor)
    with time_machine.travel(SCHEDULED_AT, tick=False):
        sending.send_due()

    # The worker came back after the start: nothing is recorded.
    assert record_at(STARTS + MINUTE) == 0
    assert reminders() == []


@pytest.mark.django_db
def test_recorded_reminder_cancelled_late(page: Page, actor: Actor,
                                          x_reminding: SocialAccount, fake_x: FakeX) -> None:
    schedule(page, actor)
    with time_machine.travel(SCHEDULED_AT, tick=False):
        sending.send_due()
    assert record_at(STARTS - 30 * MINUTE) == 1

    # The reminder was recorded, but no worker sent it before the maintenance started.
    with time_machine.travel(STARTS + MINUTE, tick=False):
        sending.send_due()

    [reminder] = reminders()
    assert reminder.status in (DeliveryStatus.CANCELLED, DeliveryStatus.FAILED)
    assert len(fake_x.tweets) == 1


@pytest.mark.django_db
def test_reminder_cancelled_when_started_early(page: Page, actor: Actor,
                                               mastodon_account: SocialAccount,
                                               fake_mastodon: FakeMastodon) -> None:
    mastodon_account.reminder_minutes = 120
    mastodon_account.save()
    maintenance = schedule(page, actor)
    with time_machine.travel(SCHEDULED_AT, tick=False):
        sending.send_due()
    assert record_at(STARTS - 90 * MINUTE) == 1
    with time_machine.travel(STARTS - 80 * MINUTE, tick=False):
        maintenances.post_event(maintenance, text="Starting early.",
                                status=maintenances.MaintenanceStatus.IN_PROGRESS, actor=actor)
        sending.send_due()

    [reminder] = reminders()
    assert reminder.status == DeliveryStatus.CANCELLED
    assert "had started" in reminder.last_error
    assert len(fake_mastodon.statuses) == 1


@pytest.mark.django_db
def test_late_schedule_gets_no_reminder(page: Page, actor: Actor,
                                        x_reminding: SocialAccount) -> None:
    # Scheduled 30 minutes ahead: the announcement is already within the reminder's hour.
    schedule(page, actor, starts_at=SCHEDULED_AT + 30 * MINUTE)

    assert record_at(SCHEDULED_AT + MINUTE) == 0


@pytest.mark.django_db
def test_rescheduled_gets_new_reminder(page: Page, actor: Actor,
                                       x_reminding: SocialAccount) -> None:
    maintenance = schedule(page, actor)
    assert record_at(STARTS - 30 * MINUTE) == 1
    later = STARTS + dt.timedelta(days=1)
    with time_machine.travel(STARTS - 29 * MINUTE, tick=False):
        maintenances.update_maintenance(maintenance, starts_at=later,
                                        ends_at=later + dt.timedelta(hours=2), actor=actor)

    assert record_at(later - 30 * MINUTE) == 1
    assert len(reminders()) == 2


@pytest.mark.django_db(transaction=True)
def test_several_workers_record_once(page: Page, actor: Actor,
                                     x_reminding: SocialAccount) -> None:
    if connection.vendor == "sqlite":
        # The SQLite test database is in memory with a shared cache, whose table locks fail at
        # once instead of waiting. The unique idempotency key is the same on both databases.
        pytest.skip("threads need a database with row locks or a busy timeout")
    schedule(page, actor)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            record_due_reminders(STARTS - 30 * MINUTE)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(reminders()) == 1


@pytest.mark.django_db
def test_reminder_setting_screen(owner: object, editor: object,
                                 x_account: SocialAccount) -> None:
    client = signed_in(owner)
    screen = client.get(url("social"))
    assert "Reminder before a maintenance starts (minutes)" in screen.content.decode()
    assert "Posts no reminder" in signed_in(editor).get(url("social")).content.decode()

    saved = client.post(url("social-reminder", "acme", "x"), {"x-reminder-minutes": "45"})
    assert saved.status_code == 302
    x_account.refresh_from_db()
    assert x_account.reminder_minutes == 45

    rejected = client.post(url("social-reminder", "acme", "x"), {"x-reminder-minutes": "0"})
    assert rejected.status_code == 422
    assert "greater than or equal to 1" in rejected.content.decode()
    x_account.refresh_from_db()
    assert x_account.reminder_minutes == 45

    cleared = client.post(url("social-reminder", "acme", "x"), {"x-reminder-minutes": ""})
    assert cleared.status_code == 302
    x_account.refresh_from_db()
    assert x_account.reminder_minutes is None

    assert signed_in(editor).post(url("social-reminder", "acme", "x"),
                                  {"x-reminder-minutes": "30"}).status_code == 403
    client.post(url("social-reminder", "acme", "x"), {"x-reminder-minutes": "45"})
    assert "Posts a reminder 45 minutes before" in text_of(signed_in(editor).get(url("social")))


def test_job_runs_every_minute() -> None:
    from huey.contrib.djhuey import HUEY

    from heliograph.social.tasks import record_reminders

    for minute in (0, 1, 59):
        due = HUEY.read_periodic(dt.datetime(2026, 3, 29, 1, minute))

        assert record_reminders.task_class in [type(task) for task in due], minute
