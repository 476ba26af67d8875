"""The console's notification screen: failed and recent deliveries, and the retry button."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State, Status
from heliograph.notifications import sending
from heliograph.notifications.channels import PermanentFailure
from heliograph.notifications.models import Delivery, DeliveryStatus
from tests.console.page_support import client_for, page_url, text_of
from tests.notifications.conftest import ScriptedChannel

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(page: Page, actor: Actor, scripted: ScriptedChannel) -> Incident:
    """An incident whose delivery to ann failed for good and whose delivery to bob was sent."""
    scripted.failures = [PermanentFailure("550 mailbox unavailable"), None]
    incident = incidents.open_incident(
        page, title="Login errors", text="Looking into it.", state=State.MAJOR_OUTAGE,
        status=Status.INVESTIGATING, actor=actor,
    )
    sending.send_due()
    return incident


def test_list_shows_failed_delivery(owner: User, failed: Incident) -> None:
    response = client_for(owner).get(page_url("deliveries"))

    assert response.status_code == 200
    text = text_of(response)
    assert "Login errors" in text
    assert "ann@example.com" in text
    assert "bob@example.com" not in text
    assert "PermanentFailure: 550 mailbox unavailable" in text
    assert "Failed, given up" in text
    assert "Times are in UTC" in text
    assert "Failed (1)" in text


def test_list_recent_shows_every_outcome(owner: User, failed: Incident) -> None:
    response = client_for(owner).get(page_url("deliveries") + "?show=recent")

    text = text_of(response)
    assert "ann@example.com" in text
    assert "bob@example.com" in text
    assert "Sent" in text


def test_list_shows_page_time_zone(
    make_page: object, owner: User, actor: Actor, scripted: ScriptedChannel
) -> None:
    page = make_page("berlin", time_zone="Europe/Berlin")  # type: ignore[operator]
    with time_machine.travel(dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)):
        incidents.open_incident(page, title="Slow", text="Slow.", state=State.PARTIAL_OUTAGE,
                                status=Status.INVESTIGATING, actor=actor)
    Delivery.objects.update(status=DeliveryStatus.FAILED)

    response = client_for(owner).get(page_url("deliveries", "berlin"))

    text = text_of(response)
    assert "2026-07-01 12:00:00 CEST" in text
    assert "Times are in Europe/Berlin" in text


def test_recent_leaves_out_old_deliveries(
    owner: User, page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(days=8)):
        incidents.open_incident(page, title="Long ago", text="Old.", state=State.PARTIAL_OUTAGE,
                                status=Status.INVESTIGATING, actor=actor)

    response = client_for(owner).get(page_url("deliveries") + "?show=recent")

    assert "Long ago" not in text_of(response)
    assert "No delivery in the last 7 days." in text_of(response)


def test_editor_retries_failed_delivery(
    editor: User, failed: Incident, scripted: ScriptedChannel
) -> None:
    delivery = Delivery.objects.get(status=DeliveryStatus.FAILED)
    client = client_for(editor)

    listing = client.get(page_url("deliveries"))
    assert page_url("delivery-retry", "acme", delivery.pk) in listing.content.decode()
    response = client.post(page_url("delivery-retry", "acme", delivery.pk), follow=True)

    assert response.status_code == 200
    assert "Delivery to ann@example.com is queued again." in text_of(response)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    sending.send_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_retry_of_sent_delivery_changes_nothing(owner: User, failed: Incident) -> None:
    delivery = Delivery.objects.get(status=DeliveryStatus.SENT)

    response = client_for(owner).post(page_url("delivery-retry", "acme", delivery.pk),
                                      follow=True)

    assert "no longer failed" in text_of(response)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_viewer_sees_without_retry(viewer: User, failed: Incident) -> None:
    delivery = Delivery.objects.get(status=DeliveryStatus.FAILED)
    client = client_for(viewer)

    listing = client.get(page_url("deliveries"))
    assert listing.status_code == 200
    assert "ann@example.com" in text_of(listing)
    assert "Retry" not in text_of(listing)
    response = client.post(page_url("delivery-retry", "acme", delivery.pk))

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_outsider_gets_404(outsider: User, failed: Incident) -> None:
    delivery = Delivery.objects.get(status=DeliveryStatus.FAILED)
    client = client_for(outsider)

    assert client.get(page_url("deliveries")).status_code == 404
    assert client.post(page_url("delivery-retry", "acme", delivery.pk)).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_retry_of_other_page_delivery_404(
    outsider: User, failed: Incident
) -> None:
    """An owner of another page cannot reach this page's delivery through their own slug."""
    delivery = Delivery.objects.get(status=DeliveryStatus.FAILED)

    response = client_for(outsider).post(page_url("delivery-retry", "other", delivery.pk))

    assert response.status_code == 404


def test_retry_needs_csrf_token(editor: User, failed: Incident) -> None:
    delivery = Delivery.objects.get(status=DeliveryStatus.FAILED)

    response = client_for(editor, enforce_csrf=True).post(
        page_url("delivery-retry", "acme", delivery.pk)
    )

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_nav_links_to_notifications(owner: User, page: Page) -> None:
    response = client_for(owner).get(page_url("audit"))

    assert f'href="{page_url("deliveries")}"' in response.content.decode()


def test_anonymous_goes_to_login(page: Page) -> None:
    response = client_for(None).get(page_url("deliveries"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
