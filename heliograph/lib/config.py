"""Typed readers for configuration taken from the environment.

Each reader rejects a bad value with an `ImproperlyConfigured` error that names the variable and
what it accepts, so a typo in a deployment fails at start-up instead of at the first request.
"""

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of 1, true, yes, on, 0, false, no, off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is too small: the minimum is {minimum}.")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...], *, upper: bool = False) -> str:
    """Read one of `choices` (compared in upper case when `upper` is set)."""
    value = env_str(name, default)
    if upper:
        value = value.upper()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not allowed: use one of "
                                   f"{', '.join(choices)}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list, dropping empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...]) -> str:
    """Read a URL whose scheme is one of `schemes`; return "" when unset."""
    raw = env_str(name, default)
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        accepted = ", ".join(f"{scheme}://..." for scheme in schemes)
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid URL: expected {accepted}.")
    return raw


def env_path(name: str, default: Path) -> Path:
    raw = env_str(name)
    path = Path(raw) if raw else default
    return path.expanduser().resolve()


def env_domain(name: str, default: str) -> str:
    """Read a host name such as `status.example.com` (no scheme, no path)."""
    raw = env_str(name, default).lower().rstrip(".")
    if not _HOST_NAME.fullmatch(raw):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a host name: give a bare name such as status.example.com."
        )
    return raw


def env_networks(name: str) -> list[str]:
    """Read comma-separated CIDRs such as `10.0.0.0/8,fd00::/8`; return them normalised."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not a network: give CIDRs such as 10.0.0.0/8 or "
                f"fd00::/8, separated by commas."
            ) from None
    return networks
