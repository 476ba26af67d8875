"""`/.well-known/security.txt` (RFC 9116) and the settings it is built from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from heliograph.lib.security import contacts_from_env, proxy_ssl_header_from_env


@pytest.mark.django_db
def test_not_found_without_contact(settings: Any) -> None:
    settings.HELIOGRAPH_SECURITY_CONTACTS = []
    assert Client().get("/.well-known/security.txt").status_code == 404


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC), tick=False)
def test_fields_from_settings(settings: Any) -> None:
    settings.HELIOGRAPH_SECURITY_CONTACTS = ["mailto:security@example.com",
                                             "https://example.com/report"]
    settings.HELIOGRAPH_SECURITY_LANGUAGES = ["en", "de"]
    settings.HELIOGRAPH_SECURITY_POLICY_URL = "https://example.com/disclosure"
    settings.HELIOGRAPH_SECURITY_TXT_DAYS = 90
    settings.HELIOGRAPH_BASE_URL = "https://status.example.com"
    response = Client().get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "Contact: mailto:security@example.com",
        "Contact: https://example.com/report",
        "Expires: 2026-06-27T00:30:00Z",
        "Policy: https://example.com/disclosure",
        "Preferred-Languages: en, de",
        "Canonical: https://status.example.com/.well-known/security.txt",
    ]


@pytest.mark.django_db
def test_served_on_page_hosts(settings: Any, page: Any) -> None:
    settings.HELIOGRAPH_SECURITY_CONTACTS = ["mailto:security@example.com"]
    settings.HELIOGRAPH_BASE_URL = "https://status.example.com"
    response = Client(HTTP_HOST="acme.localhost").get("/.well-known/security.txt")
    assert response.status_code == 200
    assert b"Contact: mailto:security@example.com" in response.content
    assert b"Canonical: https://acme.localhost/.well-known/security.txt\n" in response.content


@pytest.mark.django_db
def test_custom_domain_names_itself(settings: Any, page: Any) -> None:
    settings.HELIOGRAPH_SECURITY_CONTACTS = ["mailto:security@example.com"]
    settings.HELIOGRAPH_BASE_URL = "https://status.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    type(page).objects.filter(pk=page.pk).update(custom_domain="status.acme.example")
    response = Client(HTTP_HOST="status.acme.example").get("/.well-known/security.txt")
    assert response.status_code == 200
    assert (b"Canonical: https://status.acme.example/.well-known/security.txt\n"
            in response.content)


def test_bare_address_becomes_mailto() -> None:
    assert contacts_from_env("sec@example.com, tel:+41-44-000-00-00",
                             "HELIOGRAPH_SECURITY_CONTACT") == [
        "mailto:sec@example.com", "tel:+41-44-000-00-00"]


@pytest.mark.parametrize("raw", ["http://example.com/report", "someone", "ftp://x"])
def test_contact_rejected(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"HELIOGRAPH_SECURITY_CONTACT: .* is not a "
                                                   r"contact"):
        contacts_from_env(raw, "HELIOGRAPH_SECURITY_CONTACT")


@pytest.mark.parametrize(("raw", "expected"), [
    ("", None),
    ("X-Forwarded-Proto", ("HTTP_X_FORWARDED_PROTO", "https")),
    ("X-Forwarded-Ssl=on", ("HTTP_X_FORWARDED_SSL", "on")),
])
def test_proxy_header_parsed(monkeypatch: pytest.MonkeyPatch, raw: str,
                             expected: tuple[str, str] | None) -> None:
    monkeypatch.setenv("HELIOGRAPH_PROXY_SSL_HEADER", raw)
    assert proxy_ssl_header_from_env("HELIOGRAPH_PROXY_SSL_HEADER") == expected


def test_proxy_header_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIOGRAPH_PROXY_SSL_HEADER", "X Forwarded: https")
    with pytest.raises(ImproperlyConfigured, match=r"HELIOGRAPH_PROXY_SSL_HEADER=.* is not a "
                                                   r"header"):
        proxy_ssl_header_from_env("HELIOGRAPH_PROXY_SSL_HEADER")
