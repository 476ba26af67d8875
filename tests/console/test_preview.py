"""The live preview: the public page's own Markdown rendering, for editors only."""

from __future__ import annotations

import pytest

from heliograph.domain import incidents
from heliograph.domain.vocab import State, Status
from heliograph.lib import markdown
from tests.console.work_support import signed_in, url

pytestmark = pytest.mark.django_db

HOSTILE = ("**Slow** [docs](https://example.com/x) <script>alert(1)</script> "
           "[bad](javascript:alert(1)) ![pixel](https://tracker.example/p.gif)")


def test_preview_returns_sanitised_fragment(page, editor):
    response = signed_in(editor).post(url("preview"), {"text": HOSTILE})

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert "<strong>Slow</strong>" in html
    assert '<a href="https://example.com/x" rel="nofollow noopener">docs</a>' in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "href=\"javascript:" not in html
    assert "[bad](javascript:alert(1))" in html
    assert "<img" not in html
    assert html == markdown.render(HOSTILE)


def test_preview_matches_public_incident_page(page, editor, actor):
    text = "First line\nsecond line\n\n- one\n- two\n\n> quoted `code`"
    incident = incidents.open_incident(page, title="Check", text=text, actor=actor,
                                       state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING)
    client = signed_in(editor)

    fragment = client.post(url("preview"), {"text": text}).content.decode()
    public = client.get(f"/p/acme/incidents/{incident.pk}").content.decode()

    assert fragment.strip()
    assert fragment in public


def test_preview_of_empty_text_is_empty(page, editor):
    response = signed_in(editor).post(url("preview"), {"text": ""})

    assert response.status_code == 200
    assert response.content == b""


def test_preview_rejects_text_over_limit(page, editor):
    response = signed_in(editor).post(url("preview"), {"text": "x" * 20_001})

    assert response.status_code == 400
    assert "20001 characters long: the maximum is 20000" in response.content.decode()


def test_preview_is_post_only(page, editor):
    assert signed_in(editor).get(url("preview")).status_code == 405


def test_preview_needs_csrf_token(page, editor):
    response = signed_in(editor, enforce_csrf=True).post(url("preview"), {"text": "hi"})

    assert response.status_code == 403


def test_preview_forbidden_to_viewer(page, viewer):
    assert signed_in(viewer).post(url("preview"), {"text": "hi"}).status_code == 403


def test_preview_hidden_from_outsider(page, outsider):
    assert signed_in(outsider).post(url("preview"), {"text": "hi"}).status_code == 404


def test_preview_sends_anonymous_to_login(page):
    response = signed_in(None).post(url("preview"), {"text": "hi"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
