"""Re-export by the worker after each change of a followed page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from heliograph.export import following
from heliograph.export.models import ExportTarget
from heliograph.export.tasks import reexport, sweep_exports
from tests.export.conftest import Site


@pytest.fixture(autouse=True)
def empty_queue() -> Iterator[None]:
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def followed(site: Site, tmp_path: Path) -> Path:
    directory = tmp_path / "status"
    call_command("export", "--page", "acme", str(directory), "--follow")
    return directory


def post_update(site: Site, actor: Actor, text: str) -> None:
    incidents.post_event(site.open_incident, text=text, status=Status.IDENTIFIED,
                         state=State.PARTIAL_OUTAGE, actor=actor)


def test_follow_records_target(site: Site, followed: Path) -> None:
    target = ExportTarget.objects.get(page=site.page)

    assert target.directory == str(followed)
    assert target.exported_version == Page.objects.get(pk=site.page.pk).version


def test_reexport_after_change(site: Site, followed: Path, actor: Actor) -> None:
    post_update(site, actor, "The cause is a full disk.")

    assert following.reexport_if_changed(site.page.pk) == 1
    assert b"The cause is a full disk." in (followed / f"incidents/{site.open_incident.pk}"
                                           / "index.html").read_bytes()
    target = ExportTarget.objects.get(page=site.page)
    assert target.exported_version == Page.objects.get(pk=site.page.pk).version
    assert target.claim_token == ""


def test_reexport_skips_unchanged(site: Site, followed: Path) -> None:
    before = followed.resolve()

    assert following.reexport_if_changed(site.page.pk) == 0
    assert followed.resolve() == before


def test_reexport_skips_while_claimed(site: Site, followed: Path, actor: Actor) -> None:
    post_update(site, actor, "Claimed elsewhere.")
    ExportTarget.objects.filter(page=site.page).update(
        claimed_until=timezone.now() + dt.timedelta(minutes=5), claim_token="other")

    assert following.reexport_if_changed(site.page.pk) == 0
    assert b"Claimed elsewhere." not in (followed / "index.html").read_bytes()


def test_reexport_takes_expired_claim(site: Site, followed: Path, actor: Actor) -> None:
    post_update(site, actor, "Worker crashed before.")
    ExportTarget.objects.filter(page=site.page).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1), claim_token="dead")

    assert following.reexport_if_changed(site.page.pk) == 1
    assert b"Worker crashed before." in (followed / "index.html").read_bytes()


def test_several_changes_one_export(site: Site, followed: Path, actor: Actor) -> None:
    for number in range(3):
        post_update(site, actor, f"Update {number}.")

    assert [reexport.call_local(site.page.pk) for _ in range(3)] == [1, 0, 0]
    assert b"Update 2." in (followed / "index.html").read_bytes()


def test_failed_export_records_error(site: Site, followed: Path, actor: Actor) -> None:
    ExportTarget.objects.filter(page=site.page).update(directory=str(followed.parent / "no/x"))
    post_update(site, actor, "Goes nowhere.")

    assert following.reexport_if_changed(site.page.pk) == 0
    target = ExportTarget.objects.get(page=site.page)
    assert "does not exist" in target.last_error
    assert target.claim_token == ""
    assert target.exported_version < Page.objects.get(pk=site.page.pk).version


def test_sweep_exports_pages_behind(site: Site, followed: Path, actor: Actor) -> None:
    post_update(site, actor, "Found by the sweep.")

    assert sweep_exports.call_local() == 1
    assert sweep_exports.call_local() == 0


def test_change_schedules_reexport(site: Site, followed: Path, actor: Actor,
                                   django_capture_on_commit_callbacks: Callable[..., Any]
                                   ) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_update(site, actor, "Scheduled.")

    # The producer queues a task with its ETA; the consumer holds it until then.
    queued = HUEY.pending()
    assert [task.args for task in queued] == [(site.page.pk,)]
    assert queued[0].name.endswith("reexport")
    delay = queued[0].eta - timezone.now().replace(tzinfo=None)
    assert delay == dt.timedelta(seconds=following.DEBOUNCE_SECONDS)


def test_change_of_unfollowed_page_schedules_nothing(
        site: Site, actor: Actor, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_update(site, actor, "Nobody follows.")

    assert HUEY.pending() == []


def test_stop_following(site: Site, followed: Path, capsys: Any) -> None:
    call_command("export", "--page", "acme", "--stop-following")

    assert not ExportTarget.objects.filter(page=site.page).exists()
    assert "no longer exports" in capsys.readouterr().out
