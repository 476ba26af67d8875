"""Checks of single values, shared by every way into the domain."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from enum import Enum
from functools import lru_cache
from typing import Any, TypeVar

from heliograph.domain.errors import InvalidValue

# A DNS label: pages live at <slug>.<domain>.
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})

# The years a stored time may fall in; the margins keep conversions between zones from
# overflowing the date range of Python and the databases.
EARLIEST, LATEST = 1971, 9998

# Host names the service itself uses, which no page may take as its slug.
RESERVED_SLUGS = frozenset(
    {"www", "api", "app", "admin", "console", "accounts", "static", "media", "p", "status",
     "mail", "smtp", "ftp", "localhost", "runstatus", "healthz", "readyz", "metrics"}
)


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    """Return the IANA zone names, without the system's own entries of the zone database.

    `localtime` follows the server's zone and `Factory` shows "-00"; browsers know neither.
    """
    return frozenset(
        name for name in zoneinfo.available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    )


def check_slug(slug: str, *, field: str = "slug") -> str:
    if not _SLUG.fullmatch(slug):
        raise InvalidValue(
            "invalid_slug",
            f"{slug!r} is not a valid slug: use 1 to 63 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit.",
            field=field,
        )
    if slug in RESERVED_SLUGS:
        raise InvalidValue(
            "reserved_slug", f"The slug {slug!r} is reserved: choose another.", field=field
        )
    return slug


def check_time_zone(name: str, *, field: str = "time_zone") -> str:
    if name not in time_zone_names():
        raise InvalidValue(
            "invalid_time_zone",
            f"{name!r} is not a known IANA time zone name: use a name such as "
            "'Europe/Zurich' or 'America/Chicago'.",
            field=field,
        )
    return name


def check_domain(host: str, *, field: str = "custom_domain") -> str:
    host = host.strip().lower().rstrip(".")
    labels = host.split(".")
    if (len(host) > 253 or len(labels) < 2 or labels[-1].isdigit()
            or not all(_HOST_LABEL.fullmatch(x) for x in labels)):
        raise InvalidValue(
            "invalid_domain",
            f"{host!r} is not a valid domain name: give a host such as status.example.com, "
            "without scheme or path.",
            field=field,
        )
    return host


def check_colour(value: str, *, field: str) -> str:
    if not _HEX_COLOUR.fullmatch(value):
        raise InvalidValue(
            "invalid_colour",
            f"{value!r} is not a colour: use six hexadecimal digits such as #1a2b3c.",
            field=field,
        )
    return value.lower()


def check_text(
    value: str, *, field: str, max_length: int, required: bool = True, multiline: bool = True
) -> str:
    """Return `value` stripped; reject it when empty (if required), too long, or holding
    control characters (line breaks and tabs are allowed in multi-line text)."""
    value = value.strip()
    allowed = "\n\r\t" if multiline else ""
    bad = next(
        (char for char in value
         if (_is_control(char) and char not in allowed) or char in _BIDI_CONTROLS),
        None,
    )
    if bad is not None:
        raise InvalidValue(
            "invalid_character",
            f"{field} contains the control character U+{ord(bad):04X}: remove it.",
            field=field,
        )
    if required and not value:
        raise InvalidValue("required", f"{field} must not be empty.", field=field)
    if len(value) > max_length:
        raise InvalidValue(
            "too_long",
            f"{field} is {len(value)} characters long: the maximum is {max_length}.",
            field=field,
        )
    return value


def check_label(value: str, *, field: str = "name", max_length: int = 100) -> str:
    """Return an optional one-line label (a token's or a key's name) stripped, or raise
    InvalidValue naming `field` when it holds a control character or is too long."""
    return check_text(value, field=field, max_length=max_length, required=False,
                      multiline=False)


E = TypeVar("E", bound=Enum)


def check_choice(value: Any, enum: type[E], *, field: str) -> E:
    """Return `value` as a member of `enum`; reject a value outside it, naming the choices."""
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(str(member.value) for member in enum)
        raise InvalidValue(
            "invalid_choice", f"{value!r} is not a valid {field}: use one of {choices}.",
            field=field,
        ) from None


# Embedding, override and isolate controls can make a title read backwards (U+202E); the
# pages set the direction of each text themselves.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def check_aware(moment: dt.datetime, *, field: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(
            "naive_time",
            f"{field} has no UTC offset: give a time such as 2026-03-01T14:02:00+01:00.",
            field=field,
        )
    if not EARLIEST <= moment.year <= LATEST:
        raise InvalidValue(
            "time_out_of_range",
            f"{field} is outside the years {EARLIEST} to {LATEST}: give a realistic time.",
            field=field,
        )
    return moment.astimezone(dt.UTC)
