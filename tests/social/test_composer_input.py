"""The composer's checks of hostile or unusual post texts, and of the count endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from heliograph.domain.models import Incident
from heliograph.notifications.models import Delivery
from heliograph.social.composer import POST_TEXT_MAX
from heliograph.social.models import SocialAccount, SocialPost
from tests.console.work_support import form_token, signed_in, text_of, url
from tests.social.test_composer import hidden, opening, textarea

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_social")]


def publish(client: Client, **changes: Any) -> Any:
    """Preview the open form with `changes`, then publish it with the post as proposed."""
    form_url = url("incident-new")
    data = {"form_token": form_token(client, form_url), **opening(**changes)}
    shown = client.post(form_url, {**data, "preview": "1"})
    data["post-mastodon-text"] = textarea(shown, "post-mastodon-text")
    data["post-mastodon-proposed"] = hidden(shown, "post-mastodon-proposed")
    return client.post(form_url, data)


def publish_edited(client: Client, text: str) -> Any:
    form_url = url("incident-new")
    data = {"form_token": form_token(client, form_url), **opening(),
            "post-mastodon-text": text, "post-mastodon-proposed": "The proposal."}
    return client.post(form_url, data)


def test_long_proposal_on_large_instance(owner: Any,
                                         mastodon_account: SocialAccount) -> None:
    mastodon_account.max_characters = 100_000
    mastodon_account.save()

    response = publish(signed_in(owner), text="word " * 2000)

    assert response.status_code == 302, text_of(response)[:500]
    assert Delivery.objects.filter(channel="mastodon").count() == 1
    assert not SocialPost.objects.exists()


@pytest.mark.parametrize(("text", "code_point"), [
    ("Fixed \x07 now", "U+0007"),
    ("Colour \x1b[31mred", "U+001B"),
    ("Reversed \u202etext", "U+202E"),
])
def test_control_character_rejected(text: str, code_point: str, owner: Any,
                                    mastodon_account: SocialAccount) -> None:
    response = publish_edited(signed_in(owner), text)

    assert response.status_code == 422
    message = f"The Mastodon post contains the control character {code_point}: remove it."
    assert message in text_of(response)
    assert not Incident.objects.exists()
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("text", ["\u200b\u200d", " \ufeff\n", "\u2060"])
def test_invisible_post_is_empty(text: str, owner: Any,
                                 mastodon_account: SocialAccount) -> None:
    response = publish_edited(signed_in(owner), text)

    assert response.status_code == 422
    assert "The Mastodon post is empty" in text_of(response)
    assert not Incident.objects.exists()


def test_too_long_text_names_post(owner: Any, mastodon_account: SocialAccount) -> None:
    response = publish_edited(signed_in(owner), "x" * (POST_TEXT_MAX + 1))

    assert response.status_code == 422
    assert f"The Mastodon post is longer than {POST_TEXT_MAX:,} characters" in text_of(response)
    assert not Incident.objects.exists()


def test_visible_text_with_joiners_kept(owner: Any, mastodon_account: SocialAccount) -> None:
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"

    response = publish_edited(signed_in(owner), f"Back up {family}")

    assert response.status_code == 302
    assert SocialPost.objects.get().text == f"Back up {family}"


def test_count_rejects_too_long_text(owner: Any, mastodon_account: SocialAccount) -> None:
    client = signed_in(owner)

    longest = client.post(url("social-count"), {"network": "mastodon",
                                                 "text": "x" * POST_TEXT_MAX})
    too_long = client.post(url("social-count"), {"network": "mastodon",
                                                 "text": "x" * (POST_TEXT_MAX + 1)})

    assert longest.status_code == 200
    assert json.loads(longest.content)["count"] == POST_TEXT_MAX
    assert too_long.status_code == 400
    assert "longer than 25,000 characters" in json.loads(too_long.content)["error"]
