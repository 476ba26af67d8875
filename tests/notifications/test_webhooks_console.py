"""The console's webhook screen: list with disabled reasons, add with the secret shown once,
remove; editors change, viewers read, outsiders get 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Page
from heliograph.notifications import webhooks
from heliograph.notifications.models import WebhookSubscriber
from tests.console.page_support import client_for, page_url, text_of

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.com/status"


def disabled_hook(page: Page) -> WebhookSubscriber:
    hook = webhooks.add_webhook(page, url=HOOK, flavour="discord", services=None,
                                actor=Actor.system())
    WebhookSubscriber.objects.filter(pk=hook.pk).update(
        disabled_at=timezone.now(), consecutive_failures=5,
        disabled_reason="Disabled after 5 permanent failures in a row; the last one: HTTP 404")
    return hook


def test_viewer_reads_disabled_reason(viewer: User, page: Page) -> None:
    hook = disabled_hook(page)

    response = client_for(viewer).get(page_url("webhooks"))

    assert response.status_code == 200
    text = text_of(response)
    assert HOOK in text
    assert "Discord webhook" in text
    assert "Disabled after 5 permanent failures in a row; the last one: HTTP 404" in text
    assert "Add a webhook" not in text
    assert "Remove" not in text
    assert hook.secret not in response.content.decode()


def test_outsider_gets_404(outsider: User, page: Page) -> None:
    disabled_hook(page)

    assert client_for(outsider).get(page_url("webhooks")).status_code == 404
    assert client_for(outsider).post(page_url("webhooks"), {"url": HOOK}).status_code == 404


def test_viewer_cannot_add_or_remove(viewer: User, page: Page) -> None:
    hook = disabled_hook(page)
    client = client_for(viewer)

    added = client.post(page_url("webhooks"), {"url": "https://other.example.com/",
                                               "flavour": "json"})
    removed = client.post(page_url("webhook-remove", "acme", hook.pk))

    assert added.status_code in (403, 404)
    assert removed.status_code in (403, 404)
    assert WebhookSubscriber.objects.count() == 1


def test_editor_adds_and_sees_secret_once(editor: User, page: Page) -> None:
    client = client_for(editor)

    added = client.post(page_url("webhooks"), {"url": HOOK, "flavour": "json"}, follow=True)

    hook = WebhookSubscriber.objects.get()
    assert added.status_code == 200
    assert hook.secret in added.content.decode()
    assert hook.all_services is True
    again = client.get(page_url("webhooks"))
    assert hook.secret not in again.content.decode()
    assert HOOK in text_of(again)
    assert AuditEntry.objects.filter(action="webhook.add").count() == 1


def test_editor_add_rejects_internal_url(editor: User, page: Page) -> None:
    response = client_for(editor).post(page_url("webhooks"), {
        "url": "http://169.254.169.254/latest/meta-data/", "flavour": "json"})

    assert response.status_code == 422
    assert "cloud metadata address" in text_of(response)
    assert WebhookSubscriber.objects.count() == 0


def test_editor_removes_webhook(editor: User, page: Page) -> None:
    hook = disabled_hook(page)

    response = client_for(editor).post(page_url("webhook-remove", "acme", hook.pk))

    assert response.status_code == 302
    assert WebhookSubscriber.objects.count() == 0
    assert AuditEntry.objects.filter(action="webhook.remove").count() == 1


def test_deliveries_screen_links_webhooks(owner: User, page: Page) -> None:
    response = client_for(owner).get(page_url("deliveries"))

    assert page_url("webhooks") in response.content.decode()
