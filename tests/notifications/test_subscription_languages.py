"""Subscription screens and e-mails in the page's language: English, French and German."""

# French text uses the typographic apostrophe (U+2019), which RUF001 flags as ambiguous.
# ruff: noqa: RUF001

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from tests.console.page_support import text_of
from tests.notifications.smtp_sink import SinkHandler
from tests.notifications.test_email import (
    SUBSCRIBE,
    confirmed,
    links_in,
    open_one,
    post_form,
    subscribe,
    visitor,
)

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]

# Phrases of each language, as a visitor and a subscriber read them.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Get updates by e-mail",
        "label": "E-mail address",
        "legend": "About which services?",
        "chosen": "Only the services I choose",
        "button": "Subscribe",
        "sent": "Check your inbox",
        "subject": "Confirm your subscription to Acme status",
        "confirm_line": "Confirm the subscription here:",
        "ignore": "If you did not ask for this, ignore this message",
        "no_service": "Choose at least one service, or all services.",
    },
    "fr": {
        "heading": "Recevoir les mises à jour par e-mail",
        "label": "Adresse e-mail",
        "legend": "Pour quels services ?",
        "chosen": "Seulement les services que je choisis",
        "button": "S’abonner",
        "sent": "Consultez votre boîte de réception",
        "subject": "Confirmez votre abonnement à l’état de Acme",
        "confirm_line": "Confirmez l’abonnement ici :",
        "ignore": "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message",
        "no_service": "Choisissez au moins un service, ou tous les services.",
    },
    "de": {
        "heading": "Updates per E-Mail erhalten",
        "label": "E-Mail-Adresse",
        "legend": "Für welche Dienste?",
        "chosen": "Nur die Dienste, die ich auswähle",
        "button": "Abonnieren",
        "sent": "Sehen Sie in Ihrem Posteingang nach",
        "subject": "Bestätigen Sie Ihr Abonnement für den Status von Acme",
        "confirm_line": "Bestätigen Sie das Abonnement hier:",
        "ignore": "Falls Sie das nicht angefordert haben, ignorieren Sie diese Nachricht",
        "no_service": "Wählen Sie mindestens einen Dienst oder alle Dienste.",
    },
}


def plain_text(handler: SinkHandler, index: int = -1) -> str:
    body = handler.received[index].message.get_body(preferencelist=("plain",))
    assert body is not None, "the message has no plain text part"
    return str(body.get_content())


def html_text(handler: SinkHandler, index: int = -1) -> str:
    body = handler.received[index].message.get_body(preferencelist=("html",))
    assert body is not None, "the message has no HTML part"
    return str(body.get_content())


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_subscribe_screen_in_page_language(
    make_page: Callable[..., Page], language: str
) -> None:
    make_page(language=language)
    words = PHRASES[language]

    response = visitor().get(SUBSCRIBE)

    assert response.status_code == 200
    assert response["Content-Language"] == language
    text = text_of(response)
    for key in ("heading", "label", "legend", "chosen", "button"):
        assert words[key] in text, f"{key}: {words[key]!r} missing from {text!r}"


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_confirmation_mail_in_page_language(
    make_page: Callable[..., Page], smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture, language: str,
) -> None:
    make_page(language=language)
    words = PHRASES[language]

    response = subscribe(visitor(), "reader@example.com", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert words["sent"] in text_of(response)
    [received] = smtp_sink.received
    # Django folds a non-ASCII subject onto a continuation line, which unfolds to a leading
    # space; mail clients drop it.
    assert received.message["Subject"].strip() == words["subject"]
    body = plain_text(smtp_sink)
    assert words["confirm_line"] in body
    assert words["ignore"] in body
    assert "https://status.heliograph.test/p/acme/subscription/" in body


def test_english_confirmation_mail_unchanged(
    page: Page, smtp_sink: SinkHandler, django_capture_on_commit_callbacks: Capture
) -> None:
    subscribe(visitor(), "reader@example.com", django_capture_on_commit_callbacks)

    body = plain_text(smtp_sink)
    assert body.startswith(
        "Someone, probably you, asked to receive e-mail about Acme status "
        "(https://status.heliograph.test/p/acme/)."
    )
    assert "nothing is sent until the link is followed." in body


@pytest.mark.parametrize("language", ["fr", "de"])
def test_form_errors_in_page_language(
    make_page: Callable[..., Page], smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture, language: str,
) -> None:
    make_page(language=language)

    response = post_form(visitor(), SUBSCRIBE, {"email": "reader@example.com",
                                                "scope": "chosen"},
                         django_capture_on_commit_callbacks)

    assert response.status_code == 422
    assert PHRASES[language]["no_service"] in text_of(response)
    assert smtp_sink.received == []


def test_french_confirm_and_unsubscribe_screens(
    make_page: Callable[..., Page], smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    make_page(language="fr")
    client = visitor()
    subscribe(client, "reader@example.com", django_capture_on_commit_callbacks)
    [confirm_path] = links_in(smtp_sink)

    asking = client.get(confirm_path)
    confirming = post_form(client, confirm_path, {}, django_capture_on_commit_callbacks)
    leaving = client.get(confirm_path.replace("/confirm", "/unsubscribe"))
    left = client.post(confirm_path.replace("/confirm", "/unsubscribe"))

    assert "Envoyer des e-mails sur l’état de Acme à reader@example.com ?" in text_of(asking)
    assert "Confirmer" in text_of(asking)
    assert "reader@example.com reçoit désormais des e-mails sur l’état de Acme." in (
        text_of(confirming))
    assert "Ne plus envoyer d’e-mails sur l’état de Acme à reader@example.com ?" in (
        text_of(leaving))
    assert "Cette adresse ne reçoit plus d’e-mails sur l’état de Acme." in text_of(left)


def test_german_manage_screen(
    make_page: Callable[..., Page], smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    page = make_page(language="de")
    subscriber = confirmed(page, "reader@example.com")
    path = f"/p/acme/subscription/{subscriber.token}"

    response = post_form(visitor(), path, {"scope": "all"}, django_capture_on_commit_callbacks)

    text = text_of(response)
    assert response.status_code == 200
    assert "Ihr Abonnement" in text
    assert "Ihre Auswahl ist gespeichert." in text
    assert "Wählen Sie, worüber reader@example.com informiert wird." in text
    assert "Speichern" in text


def test_unknown_link_404_in_french(make_page: Callable[..., Page]) -> None:
    make_page(language="fr")

    response = visitor().get("/p/acme/subscription/no-such-token")

    assert response.status_code == 404
    assert "Ce lien d’abonnement n’est plus valide : abonnez-vous à nouveau." in (
        text_of(response))


def test_french_incident_notice(
    make_page: Callable[..., Page], actor: Actor, smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    page = make_page(language="fr", time_zone="Europe/Paris")
    confirmed(page, "reader@example.com")

    with time_machine.travel(dt.datetime(2026, 3, 12, 13, 5, tzinfo=dt.UTC)):
        open_one(page, actor, capture=django_capture_on_commit_callbacks)

    message = smtp_sink.received[0].message
    assert message["Subject"] == "[Acme] Login errors: Analyse en cours"
    plain = plain_text(smtp_sink)
    assert "Analyse en cours (Panne majeure) · 12 mars 2026, 14:05 CET" in plain
    assert "Vous recevez ce message, car vous êtes abonné à l’état de Acme." in plain
    assert "Se désabonner : https://status.heliograph.test/p/acme/subscription/" in plain
    html = html_text(smtp_sink)
    assert '<html lang="fr">' in html
    assert "Lire sur la page d’état" in html
    assert "désabonnez-vous</a>" in html


def test_german_maintenance_notice(
    make_page: Callable[..., Page], actor: Actor, smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    page = make_page(language="de", time_zone="Europe/Berlin")
    confirmed(page, "reader@example.com")
    start = dt.datetime(2026, 12, 24, 9, 0, tzinfo=dt.UTC)

    with django_capture_on_commit_callbacks(execute=True):
        maintenances.schedule_maintenance(
            page, title="Database upgrade", description="Ten minutes of read-only mode.",
            starts_at=start, ends_at=start + dt.timedelta(hours=1), actor=actor)

    message = smtp_sink.received[0].message
    assert message["Subject"] == "[Acme] Database upgrade: Geplante Wartung"
    plain = plain_text(smtp_sink)
    assert "Zeitraum: 24. Dezember 2026, 10:00 CET bis 24. Dezember 2026, 11:00 CET" in plain
    assert "Abmelden: https://status.heliograph.test/p/acme/subscription/" in plain
    assert '<html lang="de">' in html_text(smtp_sink)


def test_english_notice_unchanged(
    page: Page, actor: Actor, smtp_sink: SinkHandler,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    confirmed(page, "reader@example.com")

    with time_machine.travel(dt.datetime(2026, 3, 12, 13, 5, tzinfo=dt.UTC)):
        open_one(page, actor, capture=django_capture_on_commit_callbacks)

    plain = plain_text(smtp_sink)
    assert "Investigating (Major outage) · " in plain
    assert "13:05 UTC" in plain
    assert "You receive this because you subscribed to Acme status." in plain
    html = html_text(smtp_sink)
    assert '<html lang="en">' in html
    assert "Read it on the status page" in html
