"""E-mail notices and subscriptions, sent with Django's SMTP backend to a local SMTP sink."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page, Service
from heliograph.domain.vocab import State, Status
from heliograph.notifications import sending, subscribers
from heliograph.notifications.models import Delivery, DeliveryStatus, Subscriber
from tests.console.page_support import text_of
from tests.notifications.smtp_sink import SinkHandler

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/p/acme/subscribe"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LINK = re.compile(r"https://status\.heliograph\.test(/p/acme/subscription/[\w-]+(?:/\w+)?)")
Capture = Callable[..., Any]


def visitor(address: str = "203.0.113.7") -> Client:
    return Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1", REMOTE_ADDR=address)


def post_form(client: Client, path: str, data: dict[str, Any], capture: Capture) -> Any:
    """GET `path`'s form for its CSRF token, then POST `data`, running on-commit hooks."""
    token = CSRF.search(client.get(path).content.decode())
    assert token is not None, f"{path} has no CSRF token"
    with capture(execute=True):
        return client.post(path, {**data, "csrfmiddlewaretoken": token.group(1)})


def subscribe(client: Client, email: str, capture: Capture, services: list[int] | None = None,
              ) -> Any:
    data: dict[str, Any] = {"email": email, "scope": "all"}
    if services is not None:
        data |= {"scope": "chosen", "services": services}
    return post_form(client, SUBSCRIBE, data, capture)


def answer_of(response: Any) -> str:
    """Return the markup of the subscription section, without the page's clock and CSRF token."""
    markup = response.content.decode()
    section = re.search(r'<section class="subscribe">.*?</section>', markup, re.S)
    assert section is not None, "the response has no subscription section"
    return CSRF.sub("", section.group(0))


def links_in(handler: SinkHandler, index: int = -1) -> list[str]:
    body = handler.received[index].message.get_body(preferencelist=("plain",))
    assert body is not None
    return LINK.findall(body.get_content())


def confirmed(page: Page, email: str, services: list[Service] | None = None) -> Subscriber:
    return subscribers.add_subscriber(page, email=email,
                                      services=None if services is None else services,
                                      actor=Actor.system())


def open_one(page: Page, actor: Actor, services: list[Service] | None = None,
             capture: Capture | None = None) -> Incident:
    def run() -> Incident:
        return incidents.open_incident(
            page, title="Login errors", text="Some sign-ins **fail**.",
            state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING, services=services or [],
            actor=actor)

    if capture is None:
        return run()
    with capture(execute=True):
        return run()


# Subscribing


def test_subscribe_sends_confirmation(
    page: Page, smtp_sink: SinkHandler, django_capture_on_commit_callbacks: Capture
) -> None:
    response = subscribe(visitor(), "Reader@Example.COM", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "Check your inbox" in text_of(response)
    [received] = smtp_sink.received
    assert received.to == ["Reader@example.com"]
    assert received.message["Subject"] == "Confirm your subscription to Acme status"
    assert received.message["From"] == "Acme <status@heliograph.test>"
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is None
    assert links_in(smtp_sink) == [f"/p/acme/subscription/{subscriber.token}/confirm"]


def test_confirm_needs_post(
    page: Page, smtp_sink: SinkHandler, django_capture_on_commit_callbacks: Capture
) -> None:
    subscribe(visitor(), "reader@example.com", django_capture_on_commit_callbacks)
    [confirm_path] = links_in(smtp_sink)
    client = visitor()

    shown = client.get(confirm_path)
    assert shown.status_code == 200
    assert "Send e-mail about Acme status to reader@example.com?" in text_of(shown)
    assert Subscriber.objects.get().confirmed_at is None
    done = post_form(client, confirm_path, {}, django_capture_on_commit_callbacks)

    assert done.status_code == 200
    assert "Subscription confirmed" in text_of(done)
    assert Subscriber.objects.get().confirmed_at is not None


def test_unconfirmed_gets_no_notice(
    page: Page, actor: Actor, smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    subscribe(visitor(), "reader@example.com", django_capture_on_commit_callbacks)

    open_one(page, actor, capture=django_capture_on_commit_callbacks)

    assert Delivery.objects.count() == 0
    assert len(smtp_sink.received) == 1


def test_same_answer_for_known_addresses(
    page: Page, smtp_sink: SinkHandler, django_capture_on_commit_callbacks: Capture
) -> None:
    """New, unconfirmed and confirmed addresses get the same page; each gets one e-mail."""
    confirmed(page, "known@example.com")
    subscribe(visitor(), "pending@example.com", django_capture_on_commit_callbacks)
    smtp_sink.received.clear()

    answers = [
        subscribe(visitor(), email, django_capture_on_commit_callbacks)
        for email in ("new@example.com", "pending@example.com", "known@example.com")
    ]

    assert {answer.status_code for answer in answers} == {200}
    assert len({answer_of(answer) for answer in answers}) == 1
    subjects = {r.to[0]: r.message["Subject"] for r in smtp_sink.received}
    assert subjects == {
        "new@example.com": "Confirm your subscription to Acme status",
        "pending@example.com": "Confirm your subscription to Acme status",
        "known@example.com": "Your subscription to Acme status",
    }


def test_known_address_keeps_its_choice(
    page: Page, add_service: Callable[..., Service], smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    api = add_service("API")
    confirmed(page, "known@example.com")

    subscribe(visitor(), "known@example.com", django_capture_on_commit_callbacks,
              services=[api.pk])

    assert Subscriber.objects.get().all_services is True


def test_invalid_email_is_named(
    page: Page, smtp_sink: SinkHandler, django_capture_on_commit_callbacks: Capture
) -> None:
    response = subscribe(visitor(), "not-an-address", django_capture_on_commit_callbacks)

    assert response.status_code == 422
    assert "Enter a valid email address." in text_of(response)
    assert Subscriber.objects.count() == 0
    assert smtp_sink.received == []


def test_chosen_scope_needs_a_service(
    page: Page, add_service: Callable[..., Service], smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    add_service("API")
    response = post_form(visitor(), SUBSCRIBE, {"email": "a@example.com", "scope": "chosen"},
                         django_capture_on_commit_callbacks)

    assert response.status_code == 422
    assert "Choose at least one service, or all services." in text_of(response)
    assert Subscriber.objects.count() == 0


def test_subscribe_needs_csrf_token(page: Page, smtp_sink: SinkHandler) -> None:
    response = visitor().post(SUBSCRIBE, {"email": "a@example.com", "scope": "all"})

    assert response.status_code == 403
    assert Subscriber.objects.count() == 0


def test_front_page_links_to_form(page: Page) -> None:
    markup = Client(HTTP_HOST="127.0.0.1").get("/p/acme/").content.decode()

    assert 'href="/p/acme/subscribe"' in markup


def test_subscribe_page_offers_services(
    page: Page, add_service: Callable[..., Service]
) -> None:
    add_service("Public API")
    markup = Client(HTTP_HOST="127.0.0.1").get(SUBSCRIBE).content.decode()

    assert 'action="/p/acme/subscribe"' in markup
    assert 'name="csrfmiddlewaretoken"' in markup
    assert 'type="email" name="email"' in markup
    assert "Public API" in markup


def test_disabled_subscriptions_hide_form(page: Page) -> None:
    Page.objects.filter(pk=page.pk).update(subscriptions_enabled=False)
    client = Client(HTTP_HOST="127.0.0.1")

    assert 'href="/p/acme/subscribe"' not in client.get("/p/acme/").content.decode()
    assert client.get(SUBSCRIBE).status_code == 404


def test_recipient_limit_sends_no_more(
    page: Page, smtp_sink: SinkHandler, django_capture_on_commit_callbacks: Capture
) -> None:
    limit = subscribers.MAIL_PER_SUBSCRIBER.max_count
    answers = [
        subscribe(visitor(f"203.0.113.{n}"), "reader@example.com",
                  django_capture_on_commit_callbacks)
        for n in range(limit + 2)
    ]

    assert {answer.status_code for answer in answers} == {200}
    assert len({answer_of(answer) for answer in answers}) == 1
    assert len(smtp_sink.received) == limit


def test_client_limit_answers_429(
    page: Page, smtp_sink: SinkHandler, django_capture_on_commit_callbacks: Capture
) -> None:
    client = visitor()
    limit = subscribers.REQUESTS_PER_CLIENT.max_count
    for n in range(limit):
        assert subscribe(client, f"r{n}@example.com",
                         django_capture_on_commit_callbacks).status_code == 200

    blocked = subscribe(client, "late@example.com", django_capture_on_commit_callbacks)

    assert blocked.status_code == 429
    assert "Try again in 60 minutes." in text_of(blocked)
    assert not Subscriber.objects.filter(email="late@example.com").exists()
    assert subscribe(visitor("198.51.100.1"), "late@example.com",
                     django_capture_on_commit_callbacks).status_code == 200


# Notices


def test_notice_headers_and_bodies(
    page: Page, actor: Actor, smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    subscriber = confirmed(page, "reader@example.com")

    incident = open_one(page, actor, capture=django_capture_on_commit_callbacks)

    [received] = smtp_sink.received
    message = received.message
    assert received.to == ["reader@example.com"]
    assert message["Subject"] == "[Acme] Login errors: Investigating"
    assert message["Message-ID"] == (
        f"<incident-event.{incident.latest_event_id}.{subscriber.pk}.acme@localhost>"
    )
    assert message["In-Reply-To"] is None
    unsubscribe = f"https://status.heliograph.test/p/acme/subscription/{subscriber.token}/unsubscribe"
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert "Some sign-ins **fail**." in plain.get_content()
    assert "Some sign-ins <strong>fail</strong>." in html.get_content()
    assert f"https://status.heliograph.test/p/acme/incidents/{incident.pk}" in plain.get_content()
    assert unsubscribe in html.get_content()
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_notice_time_names_page_zone(
    make_page: Callable[..., Page], actor: Actor, smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    berlin = make_page("berlin", title="Berlin", time_zone="Europe/Berlin")
    confirmed(berlin, "reader@example.com")

    with time_machine.travel(dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)):
        open_one(berlin, actor, capture=django_capture_on_commit_callbacks)

    plain = smtp_sink.received[0].message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "02:30 CEST" in plain.get_content()


def test_later_notices_thread_on_first(
    page: Page, actor: Actor, smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    confirmed(page, "reader@example.com")
    incident = open_one(page, actor, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        incidents.post_event(incident, text="Found it.", state=State.PARTIAL_OUTAGE,
                             status=Status.IDENTIFIED, actor=actor)
    with django_capture_on_commit_callbacks(execute=True):
        incidents.close_incident(incident, actor=actor)

    first, second, third = (r.message for r in smtp_sink.received)
    assert len({first["Message-ID"], second["Message-ID"], third["Message-ID"]}) == 3
    for later in (second, third):
        assert later["In-Reply-To"] == first["Message-ID"]
        assert later["References"] == first["Message-ID"]
    assert third["Subject"] == "[Acme] Login errors: Resolved"


def test_maintenance_notices_thread(
    page: Page, actor: Actor, smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    confirmed(page, "reader@example.com")
    start = dt.datetime(2026, 12, 24, 9, 0, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        maintenance = maintenances.schedule_maintenance(
            page, title="Database upgrade", description="Ten minutes of read-only mode.",
            starts_at=start, ends_at=start + dt.timedelta(hours=1), actor=actor)
    with django_capture_on_commit_callbacks(execute=True):
        maintenances.post_event(maintenance, text="Started.", actor=actor)

    scheduled, started = (r.message for r in smtp_sink.received)
    assert scheduled["Subject"] == "[Acme] Database upgrade: Scheduled maintenance"
    plain = scheduled.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "09:00 UTC to" in plain.get_content()
    assert started["In-Reply-To"] == scheduled["Message-ID"]


def test_only_affected_services_told(
    page: Page, actor: Actor, add_service: Callable[..., Service], smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    api, web = add_service("API"), add_service("Web")
    confirmed(page, "all@example.com")
    confirmed(page, "api@example.com", [api])
    confirmed(page, "web@example.com", [web])
    confirmed(page, "both@example.com", [api, web])

    open_one(page, actor, services=[api], capture=django_capture_on_commit_callbacks)
    told_about_api = sorted(r.to[0] for r in smtp_sink.received)
    smtp_sink.received.clear()
    open_one(page, actor, capture=django_capture_on_commit_callbacks)
    told_about_page = sorted(r.to[0] for r in smtp_sink.received)

    assert told_about_api == ["all@example.com", "api@example.com", "both@example.com"]
    assert told_about_page == ["all@example.com", "api@example.com", "both@example.com",
                               "web@example.com"]


def test_other_page_subscribers_not_told(
    page: Page, actor: Actor, outsider: Any, smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    confirmed(Page.objects.get(slug="other"), "other@example.com")

    open_one(page, actor, capture=django_capture_on_commit_callbacks)

    assert smtp_sink.received == []


# Managing and unsubscribing


def test_manage_changes_services(
    page: Page, actor: Actor, add_service: Callable[..., Service], smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    api, web = add_service("API"), add_service("Web")
    subscriber = confirmed(page, "reader@example.com")
    path = f"/p/acme/subscription/{subscriber.token}"

    response = post_form(visitor(), path, {"scope": "chosen", "services": [web.pk]},
                         django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "Your choice is saved." in text_of(response)
    subscriber.refresh_from_db()
    assert subscriber.all_services is False
    assert list(subscriber.services.all()) == [web]
    open_one(page, actor, services=[api], capture=django_capture_on_commit_callbacks)
    assert smtp_sink.received == []


def test_unsubscribe_get_asks_first(page: Page, smtp_sink: SinkHandler) -> None:
    subscriber = confirmed(page, "reader@example.com")

    response = visitor().get(f"/p/acme/subscription/{subscriber.token}/unsubscribe")

    assert response.status_code == 200
    assert "Stop sending e-mail about Acme status to reader@example.com?" in text_of(response)
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_one_click_unsubscribe_without_cookie(page: Page, smtp_sink: SinkHandler) -> None:
    """A mail client's RFC 8058 POST carries no CSRF token and no cookie."""
    subscriber = confirmed(page, "reader@example.com")
    path = f"/p/acme/subscription/{subscriber.token}/unsubscribe"

    response = visitor().post(path, "List-Unsubscribe=One-Click",
                              content_type="application/x-www-form-urlencoded")
    again = visitor().post(path, "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert "This address receives no more e-mail about Acme status." in text_of(response)
    assert again.status_code == 200
    assert not Subscriber.objects.exists()


def test_unsubscribed_delivery_is_cancelled(
    page: Page, actor: Actor, smtp_sink: SinkHandler
) -> None:
    subscriber = confirmed(page, "reader@example.com")
    open_one(page, actor)
    subscribers.unsubscribe(subscriber)

    sending.send_due()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.CANCELLED
    assert "unsubscribed" in delivery.last_error
    assert smtp_sink.received == []


def test_unknown_token_is_404(page: Page) -> None:
    client = visitor()

    assert client.get("/p/acme/subscription/nope").status_code == 404
    assert client.get("/p/acme/subscription/nope/unsubscribe").status_code == 404


def test_token_of_other_page_is_404(page: Page, outsider: Any) -> None:
    subscriber = confirmed(Page.objects.get(slug="other"), "reader@example.com")

    response = visitor().get(f"/p/acme/subscription/{subscriber.token}")

    assert response.status_code == 404


# Failures


def test_4xx_reply_retries_with_backoff(
    page: Page, actor: Actor, smtp_sink: SinkHandler
) -> None:
    confirmed(page, "reader@example.com")
    smtp_sink.replies = ["451 4.3.0 Mail server temporarily rejected message"]
    open_one(page, actor)

    sending.send_due()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("TemporaryFailure: 451 4.3.0")
    assert smtp_sink.received == []
    with time_machine.travel(delivery.due_at + dt.timedelta(seconds=1)):
        sending.send_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(smtp_sink.received) == 1
    assert [a.outcome for a in delivery.attempts.all()] == ["retry", "sent"]


def test_closed_connection_retries(page: Page, actor: Actor, smtp_sink: SinkHandler) -> None:
    confirmed(page, "reader@example.com")
    smtp_sink.replies = ["close"]
    open_one(page, actor)

    sending.send_due()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "SMTPServerDisconnected" in delivery.last_error


def test_unreachable_server_retries(
    page: Page, actor: Actor, smtp_sink: SinkHandler, settings: Any
) -> None:
    confirmed(page, "reader@example.com")
    settings.EMAIL_PORT = 1
    open_one(page, actor)

    sending.send_due()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "ConnectionRefusedError" in delivery.last_error


def test_5xx_reply_fails_at_once(page: Page, actor: Actor, smtp_sink: SinkHandler) -> None:
    confirmed(page, "reader@example.com")
    smtp_sink.replies = ["550 5.1.1 User unknown"]
    open_one(page, actor)

    sending.send_due()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "550 5.1.1 User unknown" in delivery.last_error


def test_repeated_4xx_gives_up(page: Page, actor: Actor, smtp_sink: SinkHandler) -> None:
    confirmed(page, "reader@example.com")
    smtp_sink.replies = ["452 4.2.2 Mailbox full"] * 200
    open_one(page, actor)

    for _ in range(100):
        delivery = Delivery.objects.get()
        if delivery.status != DeliveryStatus.PENDING:
            break
        with time_machine.travel(delivery.due_at + dt.timedelta(seconds=1)):
            sending.send_due()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.failed_at is not None
    assert delivery.failed_at - delivery.created_at > dt.timedelta(hours=23)
    assert smtp_sink.received == []
