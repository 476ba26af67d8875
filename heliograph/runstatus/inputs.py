"""Read the JSON body of a Runstatus API request, collecting every bad field into one 400.

Keys that a view does not read are ignored, as Runstatus ignored them: clients send
read-only fields such as `url` or `state` back unchanged. The domain functions check
lengths, characters and rules afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, TypeVar

from django.http import HttpRequest
from django.utils.dateparse import parse_datetime

from heliograph.domain.models import Page, Service
from heliograph.runstatus.errors import detail, invalid

REQUIRED = "This field is required."
_HAS_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
E = TypeVar("E")


def json_body(request: HttpRequest) -> dict[str, Any]:
    """Return the request's body as a JSON object; an empty body is an empty object."""
    raw = request.body
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise detail(400, "The request body is not valid JSON: send a JSON object with "
                     "Content-Type: application/json.") from None
    if not isinstance(data, dict):
        raise detail(400, f"The request body is {_json_type(data)}, not a JSON object: send "
                     "the fields as a JSON object.")
    return data


class Fields:
    """The fields of one request body; each reader records a message for a bad value."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def has(self, name: str) -> bool:
        return name in self.data

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def check(self) -> None:
        """Raise a 400 listing every field at fault, if any."""
        if self.errors:
            raise invalid(self.errors)

    def text(self, name: str, *, required: bool = False, nullable: bool = False) -> str | None:
        """Return a string field; None when absent (or null, where `nullable`)."""
        if name not in self.data:
            if required:
                self.fail(name, REQUIRED)
            return None
        value = self.data[name]
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.fail(name, f"{name} must be a string, not {_json_type(value)}.")
            return None
        if not self._is_unicode(name, value):
            return None
        if required and not value.strip():
            self.fail(name, f"{name} must not be blank.")
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        if name not in self.data:
            return None
        value = self.data[name]
        if not isinstance(value, bool):
            self.fail(name, f"{name} must be true or false, not {_json_type(value)}.")
            return None
        return value

    def choice(self, name: str, choices: Mapping[str, E], *, required: bool = False,
               aliases: Mapping[str, E] | None = None) -> E | None:
        """Return the value that `choices` (or, unlisted in messages, `aliases`) maps the
        field's string to."""
        text = self.text(name, required=required)
        if text is None:
            return None
        value = choices.get(text, (aliases or {}).get(text))
        if value is None:
            allowed = ", ".join(choices)
            self.fail(name, f"{text[:60]!r} is not a valid {name}: use one of {allowed}.")
        return value

    def time(self, name: str, *, required: bool = False) -> dt.datetime | None:
        """Return an ISO 8601 time; one without an offset is UTC."""
        text = self.text(name, required=required)
        if text is None:
            return None
        moment = None
        # A date alone would parse as midnight, which is rarely what a client meant.
        if _HAS_TIME.match(text.strip()):
            try:
                moment = parse_datetime(text.strip())
            except ValueError:
                moment = None
        if moment is None:
            self.fail(name, f"{text[:40]!r} is not a date and time: give ISO 8601 such as "
                      "2017-02-02T15:00:00Z.")
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment

    def names(self, name: str) -> list[str] | None:
        """Return a list of strings, such as service names; None when absent."""
        if name not in self.data:
            return None
        value = self.data[name]
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(name, f"{name} must be a list of service names, such as [\"API\"].")
            return None
        if not all(self._is_unicode(name, item) for item in value):
            return None
        return value

    def _is_unicode(self, name: str, value: str) -> bool:
        """Record a message for a string that holds a lone surrogate, which JSON's `\\ud800`
        escapes can carry but UTF-8 cannot encode."""
        surrogate = next((char for char in value if "\ud800" <= char <= "\udfff"), None)
        if surrogate is None:
            return True
        self.fail(name, f"{name} contains the unpaired surrogate U+{ord(surrogate):04X}, which "
                  "is not a character: send valid Unicode text.")
        return False

    def services(self, name: str, page: Page) -> list[Service] | None:
        """Return the page's services named in the field, matched as their names are unique:
        ignoring case and Unicode width."""
        requested = self.names(name)
        if requested is None:
            return None
        by_name = {_folded(service.name): service for service in Service.objects.filter(page=page)}
        found: list[Service] = []
        for item in requested:
            service = by_name.get(_folded(item))
            if service is None:
                known = ", ".join(sorted(service.name for service in by_name.values())) or "none"
                self.fail(name, f"No service named {item[:100]!r} on this page: add it first, "
                          f"or use one of its services ({known[:500]}).")
            elif service not in found:
                found.append(service)
        return found


def _folded(name: str) -> str:
    return unicodedata.normalize("NFKC", name.strip()).casefold()


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a string"

