"""The post composer of the console forms: proposals, server-side counting, edits and skips."""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from heliograph.accounts.models import User
from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Maintenance, Page
from heliograph.domain.vocab import State, Status
from heliograph.notifications import post_text, sending
from heliograph.notifications.models import Delivery, DeliveryStatus
from heliograph.social.composer import POST_TEXT_MAX
from heliograph.social.models import SocialAccount, SocialPost
from tests.console.work_support import (
    field_errors,
    form_token,
    input_value,
    signed_in,
    text_of,
    textarea_value,
    url,
)
from tests.social.fakes import FakeMastodon, FakeX

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_social")]

BASE = "https://status.heliograph.test/p/acme/"
# Ten CJK characters: 10 on Mastodon, 20 on X.
WIDE = "\u969c\u5bb3\u304c\u767a\u751f\u3057\u3066\u3044\u307e\u3059"


def opening(**changes: Any) -> dict[str, Any]:
    data = {"title": "API errors", "state": State.PARTIAL_OUTAGE.value,
            "status": Status.INVESTIGATING.value, "text": "Looking into it.", "at": ""}
    return {**data, **changes}


def textarea(response: Any, name: str) -> str:
    value = textarea_value(response, name)
    assert value is not None, f"no textarea {name}"
    return html.unescape(value)


def hidden(response: Any, name: str) -> str:
    value = input_value(response, name)
    assert value is not None, f"no input {name}"
    return html.unescape(value)


def open_with_posts(client: Client, **posts: str) -> Any:
    """Load the open form, then publish it with the post fields in `posts` changed."""
    form_url = url("incident-new")
    shown = client.get(form_url)
    data: dict[str, Any] = {"form_token": form_token(client, form_url), **opening()}
    for network in ("x", "mastodon"):
        data[f"post-{network}-text"] = textarea(shown, f"post-{network}-text")
        data[f"post-{network}-proposed"] = hidden(shown, f"post-{network}-proposed")
    data.update(posts)
    return client.post(form_url, data)


@pytest.fixture
def both(x_account: SocialAccount, mastodon_account: SocialAccount) -> None:
    """Link an X and a Mastodon account to the page."""


@pytest.fixture
def incident(page: Page, actor: Actor) -> Incident:
    return incidents.open_incident(page, title="API errors", text="Looking into it.",
                                   state=State.PARTIAL_OUTAGE, status=Status.INVESTIGATING,
                                   actor=actor)


# The form


@pytest.mark.usefixtures("both")
def test_form_proposes_each_post(editor: User) -> None:
    response = signed_in(editor).get(url("incident-new"))

    assert response.status_code == 200
    x_text = textarea(response, "post-x-text")
    # No title or state is chosen yet: the proposal has the preset status and the link.
    assert x_text == f"(Investigating)\n\n{BASE}incidents/new"
    assert hidden(response, "post-x-proposed") == x_text
    assert textarea(response, "post-mastodon-text").endswith(f"{BASE}incidents/new")
    page_text = text_of(response)
    assert f"{post_text.count(x_text, post_text.X)} of 280 characters" in page_text
    assert "of 500 characters" in page_text
    assert "Skip this X post" in page_text
    assert "Skip this Mastodon post" in page_text
    assert 'src="/static/console/composer.js" defer' in response.content.decode()


def test_no_account_no_composer(editor: User) -> None:
    response = signed_in(editor).get(url("incident-new"))

    assert response.status_code == 200
    assert textarea_value(response, "post-x-text") is None
    assert "Posts to the linked social accounts" not in text_of(response)


@pytest.mark.usefixtures("both")
def test_edited_and_skipped_posts(editor: User, fake_x: FakeX,
                                  fake_mastodon: FakeMastodon) -> None:
    edited = f"API errors: we are on it. {BASE}incidents/new"
    response = open_with_posts(signed_in(editor), **{"post-x-text": edited,
                                                     "post-mastodon-skip": "on"})

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert Delivery.objects.filter(channel="mastodon").count() == 0
    x_delivery = Delivery.objects.get(channel="x")
    stored = SocialPost.objects.get(delivery=x_delivery)
    assert stored.text == f"API errors: we are on it. {BASE}incidents/{incident.pk}"

    assert sending.send_due() == 1
    assert [tweet["text"] for tweet in fake_x.tweets] == [stored.text]
    assert fake_mastodon.requests == []
    stored.refresh_from_db()
    assert stored.post_id == fake_x.tweets[0]["id"]


@pytest.mark.usefixtures("both")
def test_untouched_post_composed_from_event(editor: User, fake_x: FakeX,
                                            fake_mastodon: FakeMastodon) -> None:
    response = open_with_posts(signed_in(editor))

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert SocialPost.objects.count() == 0
    assert sending.send_due() == 2
    assert fake_x.tweets[0]["text"] == (
        f"[Partial outage] API errors (Investigating)\n\nLooking into it.\n\n"
        f"{BASE}incidents/{incident.pk}"
    )
    assert len(fake_mastodon.statuses) == 1


@pytest.mark.usefixtures("both")
def test_post_over_limit_rejected(editor: User) -> None:
    too_long = WIDE * 14 + f" {BASE}incidents/new"  # 280 + 1 + 23 on X, 164 on Mastodon
    response = open_with_posts(signed_in(editor), **{"post-x-text": too_long})

    assert response.status_code == 422
    assert "over its limit of 280: shorten it by 24" in field_errors(response, "id_post-x-text")
    assert "X post" in text_of(response).split("Nothing was saved.")[1]
    assert textarea(response, "post-x-text") == too_long
    assert "304 of 280 characters" in text_of(response)
    assert Incident.objects.count() == 0
    assert Delivery.objects.count() == 0


@pytest.mark.usefixtures("both")
def test_post_at_limit_accepted(editor: User) -> None:
    at_limit = "b" + WIDE * 12 + "a" * 15 + f" {BASE}incidents/new"  # 1 + 240 + 15 + 1 + 23
    assert post_text.count(at_limit, post_text.X) == 280
    response = open_with_posts(signed_in(editor), **{"post-x-text": at_limit})

    assert response.status_code == 302
    assert SocialPost.objects.get().text.startswith("b" + WIDE)


@pytest.mark.usefixtures("both")
def test_skipped_post_not_counted(editor: User) -> None:
    response = open_with_posts(signed_in(editor), **{"post-x-text": "x" * 400,
                                                     "post-x-skip": "on"})

    assert response.status_code == 302
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["mastodon"]


@pytest.mark.usefixtures("both")
def test_empty_post_needs_skip(editor: User) -> None:
    response = open_with_posts(signed_in(editor), **{"post-mastodon-text": "  \r\n"})

    assert response.status_code == 422
    assert "The Mastodon post is empty" in field_errors(response, "id_post-mastodon-text")
    assert Incident.objects.count() == 0


@pytest.mark.usefixtures("both")
def test_preview_keeps_edit_and_refreshes_proposal(editor: User) -> None:
    client = signed_in(editor)
    form_url = url("incident-new")
    shown = client.get(form_url)
    edited = "My own words.\r\nSecond line."
    data = {"form_token": form_token(client, form_url), "preview": "1",
            **opening(title="Checkout down"),
            "post-x-text": edited, "post-x-proposed": hidden(shown, "post-x-proposed"),
            "post-mastodon-text": textarea(shown, "post-mastodon-text"),
            "post-mastodon-proposed": hidden(shown, "post-mastodon-proposed")}
    response = client.post(form_url, data)

    assert response.status_code == 200
    assert Incident.objects.count() == 0
    assert textarea(response, "post-x-text") == edited
    refreshed = textarea(response, "post-mastodon-text")
    assert refreshed.startswith("[Partial outage] Checkout down (Investigating)")
    assert hidden(response, "post-mastodon-proposed") == refreshed


@pytest.mark.usefixtures("both")
def test_update_form_posts(editor: User, incident: Incident, fake_x: FakeX,
                           fake_mastodon: FakeMastodon) -> None:
    assert sending.send_due() == 2  # the posts of the opening update
    client = signed_in(editor)
    detail_url = url("incident", "acme", incident.pk)
    shown = client.get(detail_url)
    proposal = textarea(shown, "update-post-x-text")
    assert proposal.startswith("[Partial outage] API errors (Investigating)")
    assert proposal.endswith(f"{BASE}incidents/{incident.pk}")
    data = {"form_token": form_token(client, detail_url), "update-state": "partial_outage",
            "update-status": "identified", "update-scope": "all",
            "update-text": "Found it.", "update-at": "",
            "update-post-x-text": proposal, "update-post-x-proposed": proposal,
            "update-post-mastodon-text": "Fix on its way",
            "update-post-mastodon-proposed": hidden(shown, "update-post-mastodon-proposed")}
    response = client.post(url("incident-event", "acme", incident.pk), data)

    assert response.status_code == 302
    event = incident.events.order_by("-id").first()
    assert event is not None
    assert event.text == "Found it."
    assert sending.send_due() == 2
    assert fake_x.tweets[-1]["text"].startswith("[Partial outage] API errors (Identified)")
    assert "Found it." in fake_x.tweets[-1]["text"]
    assert [status["content"] for status in fake_mastodon.statuses.values()][-1] == (
        "<p>Fix on its way</p>")


@pytest.mark.usefixtures("both")
def test_close_form_skips(editor: User, incident: Incident, fake_x: FakeX) -> None:
    client = signed_in(editor)
    detail_url = url("incident", "acme", incident.pk)
    shown = client.get(detail_url)
    proposal = textarea(shown, "close-post-x-text")
    assert proposal.startswith("[Operational] API errors (Resolved)\n\n"
                               "This incident has been resolved.")
    data = {"form_token": form_token(client, detail_url), "close-text": "", "close-at": "",
            "close-post-x-text": proposal, "close-post-x-proposed": proposal,
            "close-post-mastodon-text": "", "close-post-mastodon-skip": "on",
            "close-post-mastodon-proposed": ""}
    response = client.post(url("incident-close", "acme", incident.pk), data)

    assert response.status_code == 302
    closing = incident.events.order_by("-id").first()
    assert closing is not None
    assert list(closing.deliveries.values_list("channel", flat=True)) == ["x"]


@pytest.mark.usefixtures("both")
def test_maintenance_form_posts(editor: User, page: Page, fake_x: FakeX) -> None:
    client = signed_in(editor)
    form_url = url("maintenance-new")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        shown = client.get(form_url)
        assert textarea(shown, "post-x-text").startswith("[Scheduled maintenance]")
        data = {"form_token": form_token(client, form_url), "title": "Database upgrade",
                "description": "Short pause.", "starts_at": "2026-03-05T22:00",
                "ends_at": "2026-03-05T23:30", "auto": "",
                "post-x-text": f"Upgrade on Thursday night. {BASE}maintenances/new",
                "post-x-proposed": hidden(shown, "post-x-proposed"),
                "post-mastodon-skip": "on", "post-mastodon-text": "",
                "post-mastodon-proposed": ""}
        response = client.post(form_url, data)

    assert response.status_code == 302, text_of(response)
    maintenance = Maintenance.objects.get()
    stored = SocialPost.objects.get()
    assert stored.text == f"Upgrade on Thursday night. {BASE}maintenances/{maintenance.pk}"
    assert not Delivery.objects.filter(channel="mastodon").exists()

    assert sending.send_due() == 1
    stored.refresh_from_db()
    assert fake_x.tweets[0]["text"] == stored.text
    detail = client.get(url("maintenance", "acme", maintenance.pk))
    assert f"posted, post {stored.post_id}" in text_of(detail)


# Server-side counting


@pytest.mark.usefixtures("both")
@pytest.mark.parametrize(("network", "text", "expected", "limit"), [
    ("x", WIDE, 20, 280),
    ("mastodon", WIDE, 10, 500),
    ("x", "see https://example.com/a/very/long/path/that/counts/as/twenty-three", 27, 280),
    ("x", "\U0001f44d\U0001f3fd ok", 5, 280),
    ("mastodon", "line\r\nbreak", 10, 500),
])
def test_count_endpoint(editor: User, network: str, text: str, expected: int,
                        limit: int) -> None:
    response = signed_in(editor).post(url("social-count"), {"network": network, "text": text})

    assert response.status_code == 200
    assert json.loads(response.content) == {"count": expected, "limit": limit}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.usefixtures("both")
def test_count_endpoint_refusals(editor: User, viewer: User) -> None:
    client = signed_in(editor)

    unknown = client.post(url("social-count"), {"network": "myspace", "text": "hi"})
    assert unknown.status_code == 400
    assert json.loads(unknown.content)["error"] == (
        "network 'myspace' is not valid: use x or mastodon."
    )
    huge = client.post(url("social-count"), {"network": "x", "text": "a" * (POST_TEXT_MAX + 1)})
    assert huge.status_code == 400
    assert signed_in(viewer).post(url("social-count"),
                                  {"network": "x", "text": "hi"}).status_code == 403


# Posts and failures on the incident's page


def test_failure_shown_with_retry(editor: User, viewer: User, incident: Incident,
                                  x_account: SocialAccount, fake_x: FakeX,
                                  actor: Actor) -> None:
    event = incidents.post_event(incident, text="Found it.", state=State.PARTIAL_OUTAGE,
                                 status=Status.IDENTIFIED, actor=actor)
    sending.send_due()
    x_account.set_tokens("user-token", "wrong-secret")
    x_account.save()
    incidents.post_event(incident, text="Fixed.", state=State.OPERATIONAL,
                         status=Status.MONITORING, actor=actor)
    sending.send_due()
    failed = Delivery.objects.get(status=DeliveryStatus.FAILED)
    posted = Delivery.objects.get(incident_event=event)

    detail_url = url("incident", "acme", incident.pk)
    response = signed_in(editor).get(detail_url)
    page_text = text_of(response)
    assert "Failed notifications" in page_text
    assert "X rejected the post (401)" in page_text
    assert f"post {posted.social_post.post_id}" in page_text
    markup = response.content.decode()
    assert f'action="{url("delivery-retry", "acme", failed.pk)}"' in markup
    assert "Retry" in page_text
    viewer_page = signed_in(viewer).get(detail_url)
    assert "X rejected the post (401)" in text_of(viewer_page)
    assert url("delivery-retry", "acme", failed.pk) not in viewer_page.content.decode()

    x_account.set_tokens("user-token", fake_x.token_secret)
    x_account.save()
    retried = signed_in(editor).post(url("delivery-retry", "acme", failed.pk),
                                     {"next": detail_url})
    assert retried.status_code == 302
    assert retried["Location"] == detail_url
    assert sending.send_due() == 1
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT


def test_retry_ignores_foreign_next(editor: User, incident: Incident, actor: Actor,
                                    x_account: SocialAccount, fake_x: FakeX) -> None:
    fake_x.token_secret = "another-secret"
    incidents.post_event(incident, text="Found it.", state=State.PARTIAL_OUTAGE,
                         status=Status.IDENTIFIED, actor=actor)
    sending.send_due()
    failed = Delivery.objects.get(status=DeliveryStatus.FAILED)

    response = signed_in(editor).post(url("delivery-retry", "acme", failed.pk),
                                      {"next": "https://evil.example/console/pages/acme/"})

    assert response["Location"] == url("deliveries")
