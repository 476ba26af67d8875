"""Deleting a page removes every row and file of it, and nothing of another page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.urls import reverse

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.portability import dump_page
from heliograph.runstatus.models import Credential
from tests.backups.populate import populate, row_ids
from tests.console.page_support import client_for

# The subscribe flow queues its e-mail when the transaction commits, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)

# Models in which `populate` must create rows of the page, so that the fixture cannot
# silently lose a kind of data and let the deletion check pass without it.
POPULATED = [
    "domain.Page", "domain.Membership", "domain.ServiceGroup", "domain.Service",
    "domain.Incident", "domain.IncidentEvent", "domain.Maintenance", "domain.MaintenanceEvent",
    "domain.AuditEntry", "notifications.Delivery", "notifications.Attempt",
    "notifications.Subscriber", "notifications.WebhookSubscriber", "social.SocialAccount",
    "social.SocialPost", "console.Invitation", "importers.ImportedObject", "api.ApiToken",
    "runstatus.Credential",
]
# Rows made for the page that stay after it is deleted: people's accounts, and their API
# tokens and Runstatus keys, which lose their link to the page.
KEPT = {"accounts.User", "api.ApiToken", "runstatus.Credential"}
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


def all_models() -> list[type[models.Model]]:
    return list(apps.get_models(include_auto_created=True))


def text_holding(needles: list[str]) -> list[str]:
    """Return "model.field" for every text column value that contains one of `needles`."""
    lowered = [needle.lower() for needle in needles]
    found = []
    for model in all_models():
        names = [field.attname for field in model._meta.concrete_fields
                 if isinstance(field, TEXT_FIELDS)]
        if not names:
            continue
        for row in model._default_manager.values_list(*names):
            for name, value in zip(names, row, strict=True):
                text = str(value).lower()
                if any(needle in text for needle in lowered):
                    found.append(f"{model._meta.label}.{name}")
    return found


def test_delete_page_removes_all_its_rows(owner: User, outsider: User,
                                          media_root: Path) -> None:
    other = Page.objects.get(slug="other")
    kept = populate(other, outsider, "kept")
    other_dump = dump_page(other)
    other_version = Page.objects.get(pk=other.pk).version
    before = row_ids(all_models())

    page = pages.create_page("acme", title="Acme", owner=owner, actor=Actor.of_user(owner))
    doomed = populate(page, owner, "gone")
    shared = ApiToken.issue(owner, [page, other], can_write=False, name="both pages")[0]
    # The shared token's link to the other page belongs to that page.
    link = ApiToken.pages.through.objects.get(apitoken=shared, page=other)
    before[ApiToken.pages.through._meta.label].add(link.pk)
    with_page = row_ids(all_models())
    logo = Path(default_storage.path(page.logo.name))
    assert logo.is_file()
    for label in POPULATED:
        assert with_page[label] - before[label], f"populate() made no {label} row"

    response = client_for(owner).post(reverse("console:delete-page", args=["acme"]),
                                      {"confirm_slug": "acme"})

    assert response.status_code == 302
    after = row_ids(all_models())
    for label, rows in with_page.items():
        added = rows - before[label]
        if label not in KEPT:
            assert not added & after[label], f"{label} keeps rows of the deleted page"
        assert before[label] <= after[label], f"{label} lost rows of another page"
    assert not logo.exists()
    assert Path(default_storage.path(other.logo.name)).is_file()
    assert dump_page(Page.objects.get(pk=other.pk)) == other_dump
    assert Page.objects.get(pk=other.pk).version == other_version
    assert text_holding(doomed.addresses) == []
    assert "notifications.Subscriber.email" in text_holding(kept.addresses)

    assert list(ApiToken.objects.get(name="only gone").pages.all()) == []
    assert list(shared.pages.all()) == [other]
    assert list(Credential.objects.get(name="only gone").pages.all()) == []
    assert list(Credential.objects.get(name="only kept").pages.all()) == [other]
    assert User.objects.filter(email="editor-gone@example.com").exists()


def test_delete_page_removes_stray_logo_files(owner: User, media_root: Path) -> None:
    page = pages.create_page("acme", title="Acme", owner=owner, actor=Actor.of_user(owner))
    populate(page, owner, "gone")
    stray = media_root / "logos" / f"{page.pk}-left-behind.png"
    stray.write_bytes(b"an earlier logo whose deletion failed")
    unrelated = media_root / "logos" / f"{page.pk}0-other.png"
    unrelated.write_bytes(b"the logo of a page whose id starts with the same digits")

    deleted = pages.delete_page(page)

    assert not stray.exists()
    assert unrelated.exists()
    assert deleted["domain.Page"] == 1
    assert deleted["notifications.Subscriber"] == 2


def test_delete_page_failure_keeps_rows_and_logo(owner: User, media_root: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    page = pages.create_page("acme", title="Acme", owner=owner, actor=Actor.of_user(owner))
    populate(page, owner, "gone")
    logo = Path(default_storage.path(page.logo.name))

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Page, "delete", fail)
    with pytest.raises(RuntimeError):
        pages.delete_page(page)

    assert logo.is_file()
    assert Page.objects.filter(pk=page.pk).exists()
    assert list(ApiToken.objects.get(name="only gone").pages.all()) == [page]
    assert transaction.get_autocommit()
