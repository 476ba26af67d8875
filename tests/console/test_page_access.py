"""Access to every page screen of the settings, members and audit log, by persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from heliograph.domain.models import Membership, Page
from tests.console.page_support import client_for

pytestmark = pytest.mark.django_db

READS = ["dashboard", "settings", "members", "audit", "delete-page", "logo-file"]
WRITES = ["settings", "logo-upload", "logo-remove", "delete-page", "invite"]


@pytest.mark.parametrize("name", READS)
def test_outsider_reads_nothing(page: Page, outsider: Any, name: str) -> None:
    response = client_for(outsider).get(reverse(f"console:{name}", args=["acme"]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", WRITES)
def test_outsider_writes_nothing(page: Page, outsider: Any, name: str) -> None:
    response = client_for(outsider).post(reverse(f"console:{name}", args=["acme"]), {})

    assert response.status_code == 404


@pytest.mark.parametrize("name", WRITES)
def test_viewer_writes_nothing(page: Page, viewer: Any, name: str) -> None:
    before = Page.objects.values().get(pk=page.pk)

    response = client_for(viewer).post(reverse(f"console:{name}", args=["acme"]),
                                       {"section": "general", "confirm_slug": "acme"})

    assert response.status_code == 403
    assert Page.objects.values().get(pk=page.pk) == before


def test_viewer_changes_no_member(page: Page, owner: Any, viewer: Any) -> None:
    target = Membership.objects.get(page=page, user=owner)

    role = client_for(viewer).post(
        reverse("console:member-role", args=["acme", target.pk]), {"role": "viewer"})
    remove = client_for(viewer).post(reverse("console:member-remove", args=["acme", target.pk]))

    assert role.status_code == 403
    assert remove.status_code == 403
    assert Membership.objects.get(pk=target.pk).role == "owner"
