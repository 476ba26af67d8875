"""The error shapes of the Runstatus API: `{"detail": "..."}`, or `{"<field>": ["..."]}` on 400."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import JsonResponse

from heliograph.domain.errors import DomainError

NOT_FOUND = "Not found."


class Problem(Exception):
    """An error response that a handler raises; nothing was changed."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body

    def response(self) -> JsonResponse:
        return JsonResponse(self.body, status=self.status)


def detail(status: int, message: str) -> Problem:
    return Problem(status, {"detail": message})


def forbidden(message: str) -> Problem:
    return detail(403, message)


def not_found(message: str = NOT_FOUND) -> Problem:
    return detail(404, message)


def invalid(errors: Mapping[str, list[str]]) -> Problem:
    """Return a 400 listing the messages of each input field at fault."""
    return Problem(400, dict(errors))


def from_domain(error: DomainError, fields: Mapping[str, str] | None = None) -> Problem:
    """Turn a rule the domain rejected into a 400 on the Runstatus field it concerns.

    `fields` maps the domain's field names to this API's (`"text"` to `"status_text"`). A
    message that starts with the domain's name for the field is reworded with this API's.
    """
    if not error.field:
        return detail(400, error.message)
    name = (fields or {}).get(error.field, error.field)
    message = error.message
    if name != error.field and message.startswith(f"{error.field} "):
        message = name + message.removeprefix(error.field)
    return invalid({name: [message]})
