"""Hostile titles and texts in the notices: e-mail, webhook bodies, and social post texts.

E-mails go through Django's SMTP backend to the SMTP sink on 127.0.0.1, and webhooks through
the guarded client to a receiver on 127.0.0.1, both sent by the real worker code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.vocab import State, Status
from heliograph.notifications import post_text, webhooks
from heliograph.notifications.models import Delivery, WebhookSubscriber
from heliograph.social import proposals
from heliograph.social.models import SocialAccount
from tests.notifications.smtp_sink import SinkHandler
from tests.notifications.test_webhooks import HookReceiver, send_until_settled
from tests.xss.checks import read_html
from tests.xss.corpus import PAYLOADS, Built, build, hostile, hostile_values

pytestmark = pytest.mark.django_db

# Elements that an e-mail's HTML part may hold only if its template put them there.
MAIL_ACTIVE_TAGS = ("script", "iframe", "object", "embed", "svg", "math", "form", "input",
                    "base", "img", "video", "audio", "link", "details", "textarea")
# Slack reads these as mentions, channel links or links with a label.
SLACK_CONTROL = re.compile(r"<[!@#]|<https?:|<mailto:")
# Characters that no plain-text notice may carry.
INVISIBLE_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def notify(built: Built, owner: User, receiver: HookReceiver, payload: str) -> None:
    """Post one incident event and schedule one maintenance, with hostile titles and texts.

    The webhooks that `build` added are replaced by one receiver per flavour on 127.0.0.1,
    and its social accounts are unlinked, so that nothing is sent beyond this machine.
    """
    actor = Actor.of_user(owner)
    SocialAccount.objects.filter(page=built.page).delete()
    WebhookSubscriber.objects.filter(page=built.page).delete()
    Delivery.objects.all().delete()
    for flavour in ("json", "slack", "discord"):
        webhooks.add_webhook(built.page, url=f"{receiver.url}/{flavour}", flavour=flavour,
                             services=None, actor=actor)
    incidents.post_event(built.incident, text=hostile("T", payload, 20_000),
                         state=State.MAJOR_OUTAGE, status=Status.MONITORING, actor=actor)
    now = timezone.now()
    maintenances.schedule_maintenance(
        built.page, title=hostile("MT", " ".join(payload.split()), 300),
        description=hostile("MD", payload, 20_000),
        starts_at=now + dt.timedelta(days=2), ends_at=now + dt.timedelta(days=2, hours=1),
        actor=actor)
    send_until_settled()


@pytest.fixture
def notified(request: Any, owner: User, smtp_sink: SinkHandler,
             hooks: HookReceiver) -> tuple[Built, SinkHandler, HookReceiver]:
    payload = request.param
    built = build(owner, hostile_values(payload))
    notify(built, owner, hooks, payload)
    return built, smtp_sink, hooks


@pytest.mark.parametrize("notified", PAYLOADS.values(), ids=PAYLOADS.keys(), indirect=True)
def test_mail_stays_text(notified: tuple[Built, SinkHandler, HookReceiver]) -> None:
    built, sink, _ = notified
    notices = [received for received in sink.received
               if "Confirm" not in str(received.message["Subject"])]
    assert len(notices) >= 4  # two subscribers, one incident event, one maintenance

    plain_texts = []
    for received in notices:
        message = received.message
        subject = str(message["Subject"])
        assert "\n" not in subject
        assert "\r" not in subject
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert plain is not None
        assert html is not None
        plain_text = plain.get_content()
        assert INVISIBLE_CONTROLS.search(plain_text) is None
        markup = read_html(html.get_content(), own_scripts=())
        assert markup.findings == [], subject
        assert [tag for tag in MAIL_ACTIVE_TAGS if markup.tags[tag]] == [], subject
        plain_texts.append(plain_text)
    # The incident's title is shown as the text it is, unless it is long enough to be cut.
    if len(built.incident.title) < 200:
        assert any(built.incident.title in text for text in plain_texts)


@pytest.mark.parametrize("notified", PAYLOADS.values(), ids=PAYLOADS.keys(), indirect=True)
def test_webhook_bodies_are_data(notified: tuple[Built, SinkHandler, HookReceiver]) -> None:
    built, _, receiver = notified
    bodies: dict[str, list[dict[str, Any]]] = {"json": [], "slack": [], "discord": []}
    for request in receiver.received:
        bodies[request["path"].rsplit("/", 1)[-1]].append(json.loads(request["body"]))
    assert [len(found) for found in bodies.values()] == [2, 2, 2]

    titles = {body["incident"]["title"] for body in bodies["json"] if body["incident"]}
    assert titles == {built.incident.title}
    for body in bodies["slack"]:
        texts = [body["text"], *(block["text"]["text"] for block in body["blocks"]
                                 if block["type"] != "context"),
                 *(element["text"] for block in body["blocks"] if block["type"] == "context"
                   for element in block["elements"])]
        own_link = re.compile(r"<https://status\.heliograph\.test/[^|>]*\|View on the status page>")
        leaks = [text[:80] for text in texts if SLACK_CONTROL.search(own_link.sub("", text))]
        assert leaks == []
    for body in bodies["discord"]:
        assert body["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_social_post_is_plain_text(payload: str, owner: User, settings: Any) -> None:
    """Posts carry the texts as typed: no HTML escaping, no control characters, one link."""
    settings.HELIOGRAPH_BASE_URL = "https://status.heliograph.test"
    built = build(owner, hostile_values(payload))
    event = built.incident.latest_event
    assert event is not None

    for rules in (post_text.X, post_text.mastodon()):
        posts = [proposals.propose_incident_event(event, rules),
                 proposals.propose_maintenance(built.maintenance, rules)]
        for post in posts:
            assert post_text.fits(post, rules)
            assert INVISIBLE_CONTROLS.search(post) is None
            assert post.endswith(f"/p/xss/incidents/{built.incident.pk}") or post.endswith(
                f"/p/xss/maintenances/{built.maintenance.pk}")
    # Nothing was escaped for HTML on the way: the title is there as typed, or its start.
    title = built.incident.title
    assert title[:40] in posts[0]
    assert "&lt;" not in posts[0] or "&lt;" in payload
