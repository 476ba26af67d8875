"""Errors raised by the domain functions, each with a stable machine code."""

from __future__ import annotations


class DomainError(Exception):
    """A request that the rules of the domain reject; nothing was changed.

    `code` is stable and meant for machines, `message` for people, and `field` names the input
    at fault when there is one.
    """

    http_status = 422

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class InvalidValue(DomainError):
    """A value that is malformed or out of range (an unknown time zone, an end before a start)."""

    http_status = 422


class RuleViolation(DomainError):
    """A request that conflicts with the current state (posting to a closed incident)."""

    http_status = 409


class Conflict(DomainError):
    """A value that clashes with a stored one (a slug or a service name already in use)."""

    http_status = 409
