"""Read the SMTP server from one URL: `EMAIL_URL=smtp://user:password@host:port`.

`smtp://` speaks plain SMTP (port 25 by default) and upgrades with STARTTLS when `?tls=true`
is given (port 587 by default then). `smtps://` opens TLS at once (port 465 by default).
`?timeout=SECONDS` bounds each network operation (default 30). The user name and password are
percent-encoded, so `@`, `:` and `/` in them are written `%40`, `%3A` and `%2F`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

DEFAULT_TIMEOUT = 30
_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str
    password: str
    use_tls: bool
    use_ssl: bool
    timeout: int


def env_email_url(name: str) -> SmtpServer | None:
    """Read `name` as an SMTP URL; return None when it is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    return parse_email_url(raw, name=name)


def parse_email_url(raw: str, *, name: str = "EMAIL_URL") -> SmtpServer:
    """Parse an SMTP URL, raising `ImproperlyConfigured` with a one-line, password-free message."""
    parts = urlsplit(raw)
    shown = _without_password(raw)
    expected = "expected smtp://user:password@host:port or smtps://... (with ?tls=true or " \
               "?timeout=SECONDS)"
    if parts.scheme not in ("smtp", "smtps"):
        raise ImproperlyConfigured(f"{name}={shown!r} is not a valid e-mail URL: {expected}.")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={shown!r} has an invalid port: give a number from 1 to 65535."
        ) from None
    if not parts.hostname:
        raise ImproperlyConfigured(f"{name}={shown!r} has no host name: {expected}.")

    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"tls", "timeout"})
    if unknown:
        raise ImproperlyConfigured(
            f"{name}={shown!r} has an unknown option {unknown[0]!r}: use tls or timeout."
        )

    use_ssl = parts.scheme == "smtps"
    use_tls = _flag(query, "tls", name, shown)
    if use_ssl and use_tls:
        raise ImproperlyConfigured(
            f"{name}={shown!r} asks for both smtps:// and ?tls=true: use one of them."
        )
    default_port = 25
    if use_ssl:
        default_port = 465
    elif use_tls:
        default_port = 587
    return SmtpServer(
        host=parts.hostname, port=port or default_port,
        user=unquote(parts.username or ""), password=unquote(parts.password or ""),
        use_tls=use_tls, use_ssl=use_ssl, timeout=_timeout(query, name, shown),
    )


def _flag(query: dict[str, list[str]], key: str, name: str, shown: str) -> bool:
    values = query.get(key)
    if not values:
        return False
    value = values[-1].strip().lower()
    if value not in _BOOLEANS:
        raise ImproperlyConfigured(
            f"{name}={shown!r} has {key}={values[-1]!r}: use {key}=true or {key}=false."
        )
    return _BOOLEANS[value]


def _timeout(query: dict[str, list[str]], name: str, shown: str) -> int:
    values = query.get("timeout")
    if not values:
        return DEFAULT_TIMEOUT
    try:
        seconds = int(values[-1])
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= 600:
        raise ImproperlyConfigured(
            f"{name}={shown!r} has timeout={values[-1]!r}: give whole seconds from 1 to 600."
        )
    return seconds


def _without_password(raw: str) -> str:
    """Return `raw` with the password replaced by `***`, so errors and logs never show it."""
    parts = urlsplit(raw)
    if parts.password is None:
        return raw
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.split(":", 1)[0]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def env_from_address(name: str, default: str) -> str:
    """Read a sender address such as `status@example.com` or `Acme Status <status@acme.test>`."""
    from email.utils import parseaddr

    raw = os.environ.get(name, "").strip() or default
    _display, address = parseaddr(raw)
    local, at, domain = address.rpartition("@")
    if not (local and at and domain) or any(char.isspace() for char in address):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a valid e-mail address: give one like status@example.com."
        )
    return raw
