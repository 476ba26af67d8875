"""Helpers of the service, incident and maintenance screen tests: logins, forms and HTML."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from heliograph.console import once

HOST = "127.0.0.1"
_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def signed_in(user: Any, *, enforce_csrf: bool = False) -> Client:
    """Return a test client on the main host, signed in as `user` (or anonymous for None)."""
    client = Client(enforce_csrf_checks=enforce_csrf, HTTP_HOST=HOST)
    if user is not None:
        client.force_login(user)
    return client


def url(name: str, slug: str = "acme", *args: Any) -> str:
    return reverse(f"console:{name}", args=[slug, *args])


def form_token(client: Client, page_url: str) -> str:
    """Return the one-time token of the form on `page_url`, as a browser would submit it."""
    response = client.get(page_url)
    assert response.status_code == 200, page_url
    match = _TOKEN.search(response.content.decode())
    assert match is not None, f"no {once.FIELD} on {page_url}"
    return match.group(1)


def post_form(client: Client, form_url: str, action_url: str, data: dict[str, Any]) -> Any:
    """Load `form_url` for its token, then post `data` with it to `action_url`."""
    token = form_token(client, form_url)
    return client.post(action_url, {once.FIELD: token, **data})


def text_of(response: Any) -> str:
    """Return the response's HTML with tags removed and whitespace collapsed, for reading."""
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def field_errors(response: Any, field_id: str) -> str:
    """Return the text of the error list of the field with HTML id `field_id`."""
    html = response.content.decode()
    match = re.search(rf'<ul class="field-errors" id="{re.escape(field_id)}_error">(.*?)</ul>',
                      html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def input_value(response: Any, name: str) -> str | None:
    """Return the value attribute of the input named `name`, or None when there is none."""
    html = response.content.decode()
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def textarea_value(response: Any, name: str) -> str | None:
    html = response.content.decode()
    match = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', html,
                      flags=re.S)
    return match.group(1).strip("\n") if match else None


def checked_values(response: Any, name: str) -> list[str]:
    """Return the values of the checked checkboxes or radios named `name`."""
    html = response.content.decode()
    found = []
    for tag in re.findall(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html):
        if " checked" in tag:
            value = re.search(r'value="([^"]*)"', tag)
            found.append(value.group(1) if value else "")
    return found
