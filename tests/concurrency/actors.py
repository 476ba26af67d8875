"""Three ways an editor posts to an incident: the API, the console form, and the CLI."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx

from tests.concurrency.server import Install

CLI = Path(sys.executable).with_name("heliograph")


@dataclass
class Outcome:
    """What one poster got back: an HTTP status (or the CLI's exit code) and the message."""

    channel: str
    status: int
    message: str

    @property
    def ok(self) -> bool:
        return self.status in (200, 201, 302) if self.channel != "cli" else self.status == 0


class _Forms(HTMLParser):
    """Collect each form's action and the values a browser would submit by default."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
            return
        if not self.forms or "name" not in values:
            if tag == "option" and self._select and "selected" in values:
                self.forms[-1][1][self._select] = values.get("value", "")
            return
        fields = self.forms[-1][1]
        name = values["name"]
        if tag == "input":
            kind = values.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in values:
                return
            if kind in ("submit", "button", "file"):
                return
            fields[name] = values.get("value", "")
        elif tag == "select":
            self._select = name
            fields.setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1][1][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(markup: str, action_end: str) -> tuple[str, dict[str, str]]:
    """Return the action and default values of the form whose action ends with `action_end`."""
    parser = _Forms()
    parser.feed(markup)
    for action, fields in parser.forms:
        if html.unescape(action).endswith(action_end):
            return html.unescape(action), fields
    raise AssertionError(f"no form posting to ...{action_end} in the page")


class ConsoleSession:
    """A browser-like session signed in to the console with e-mail and password."""

    def __init__(self, install: Install, email: str) -> None:
        self.install = install
        self.client = httpx.Client(base_url=install.url, follow_redirects=False, timeout=60)
        login = self.client.get("/accounts/login/")
        _action, fields = form_fields(login.text, "/accounts/login/")
        fields.update({"email": email, "password": install.seed["password"]})
        signed_in = self.client.post("/accounts/login/", data=fields)
        assert signed_in.status_code == 302, f"console login failed: {signed_in.status_code}"

    def load(self, path: str, action_end: str) -> tuple[str, dict[str, str]]:
        """Load a console screen and return its form, as a person opening it would."""
        screen = self.client.get(path)
        assert screen.status_code == 200, f"GET {path}: {screen.status_code}"
        return form_fields(screen.text, action_end)

    def submit(self, action: str, fields: dict[str, str]) -> Outcome:
        response = self.client.post(action, data=fields)
        message = ""
        if response.status_code >= 400:
            # A form shown again lists its problems in the box with role="alert".
            found = re.search(r'<div class="form-problems" role="alert">(.*?)</div>',
                              response.text, flags=re.S)
            text = found.group(1) if found else response.text
            message = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
        return Outcome("console", response.status_code, message)

    def close(self) -> None:
        self.client.close()


def field_ending(fields: dict[str, str], suffix: str) -> str:
    names = [name for name in fields if name == suffix or name.endswith(f"-{suffix}")]
    assert len(names) == 1, f"expected one field named *{suffix}, found {names}"
    return names[0]


def api_post(install: Install, token: str, path: str, body: dict[str, Any]) -> Outcome:
    response = httpx.post(f"{install.url}/api/v1{path}", json=body, timeout=60,
                          headers={"Authorization": f"Bearer {token}"})
    message = response.json().get("message", "") if response.status_code >= 400 else ""
    return Outcome("api", response.status_code, message)


def run_cli(install: Install, token: str, *args: str) -> Outcome:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("HELIOGRAPH_")}
    home = Path(install.env["HELIOGRAPH_DATA_DIR"]) / "cli-home"
    home.mkdir(exist_ok=True)
    environment.update({"HELIOGRAPH_URL": install.url, "HELIOGRAPH_TOKEN": token,
                        "HELIOGRAPH_PAGE": "acme", "HOME": str(home),
                        "XDG_CONFIG_HOME": str(home / "config"), "NO_COLOR": "1"})
    done = subprocess.run([str(CLI), *args], env=environment, capture_output=True, text=True,
                          timeout=120, check=False)
    return Outcome("cli", done.returncode, (done.stderr or done.stdout).strip())
