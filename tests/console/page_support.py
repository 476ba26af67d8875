"""Helpers of the page, settings, member, token and audit screen tests."""

from __future__ import annotations

import html
import re
from typing import Any

from django.test import Client
from django.urls import reverse

from heliograph.console import once

HOST = "127.0.0.1"
_FORM_TOKEN = re.compile(rf'name="{once.FIELD}" value="([^"]+)"')


def client_for(user: Any, *, enforce_csrf: bool = False) -> Client:
    """Return a client on the main host, signed in as `user`, or anonymous for None."""
    client = Client(enforce_csrf_checks=enforce_csrf, HTTP_HOST=HOST)
    if user is not None:
        client.force_login(user)
    return client


def page_url(name: str, slug: str = "acme", *args: Any) -> str:
    return reverse(f"console:{name}", args=[slug, *args])


def form_token(response: Any) -> str:
    """Return the one-time form token in a rendered screen."""
    match = _FORM_TOKEN.search(response.content.decode())
    assert match is not None, "the screen has no one-time form token"
    return match.group(1)


def text_of(response: Any) -> str:
    """Return the response's text without tags, whitespace collapsed and entities decoded."""
    markup = response.content.decode()
    markup = re.sub(r"<(script|style|datalist)\b.*?</\1>", " ", markup, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()


def field_error(response: Any, field_id: str) -> str:
    """Return the text of the error list of the field whose HTML id is `field_id`."""
    markup = response.content.decode()
    match = re.search(rf'id="{re.escape(field_id)}_error"[^>]*>(.*?)</(ul|p)>', markup, re.S)
    if match is None:
        return ""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))).strip()


def input_value(response: Any, name: str) -> str | None:
    """Return the value of the text input named `name`, or None when there is no such input."""
    markup = response.content.decode()
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', markup)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def is_checked(response: Any, name: str, value: str | None = None) -> bool:
    """Return whether the checkbox or radio named `name` (with `value`, if given) is checked."""
    markup = response.content.decode()
    for tag in re.findall(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', markup):
        if value is not None and f'value="{value}"' not in tag:
            continue
        if re.search(r"\schecked\b", tag):
            return True
    return False
