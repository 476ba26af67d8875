"""Settings of the client: the server's URL, the token and the default page.

Each value comes from its environment variable when that is set, and otherwise from the
config file that `heliograph login` writes: `$XDG_CONFIG_HOME/heliograph/config.toml`, or
`~/.config/heliograph/config.toml` when XDG_CONFIG_HOME is unset or not an absolute path.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import click

from heliograph.client.errors import AuthProblem, ClientError, InvalidInput

URL_VARIABLE = "HELIOGRAPH_URL"
TOKEN_VARIABLE = "HELIOGRAPH_TOKEN"  # noqa: S105 (a variable name, not a secret)
PAGE_VARIABLE = "HELIOGRAPH_PAGE"
KEYS = ("url", "token", "page")
VARIABLES = {"url": URL_VARIABLE, "token": TOKEN_VARIABLE, "page": PAGE_VARIABLE}
API_PREFIX = "/api/v1"


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "")
    # The XDG Base Directory specification requires ignoring a relative path.
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "heliograph" / "config.toml"


@dataclass
class Settings:
    """The URL, token and default page in force, with where each came from."""

    url: str | None = None
    token: str | None = None
    page: str | None = None
    # For each key set: the environment variable or the config file path it came from.
    sources: dict[str, str] = field(default_factory=dict)
    path: Path = field(default_factory=config_path)


def load() -> Settings:
    """Read the config file, then let the environment variables override it."""
    settings = Settings()
    stored = read_file(settings.path)
    for key in KEYS:
        value = os.environ.get(VARIABLES[key], "").strip() or stored.get(key)
        if not value:
            continue
        source = VARIABLES[key] if os.environ.get(VARIABLES[key], "").strip() else str(
            settings.path)
        if key == "url":
            value = normalize_url(value, source=source)
        elif key == "token":
            value = check_token(value, source=source)
        setattr(settings, key, value)
        settings.sources[key] = source
    return settings


def read_file(path: Path) -> dict[str, str]:
    """Return the string values of the config file; an empty dict when it does not exist."""
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise AuthProblem(f"Cannot read the config file {path}: {error.strerror}. Fix its "
                          "permissions, or run `heliograph login` again.") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        click.echo(f"Warning: {path} holds an API token and other users may read it "
                   f"(mode {stat.S_IMODE(mode):04o}): run `chmod 600 {path}`.", err=True)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise AuthProblem(f"The config file {path} is not valid TOML ({error}): fix it, or "
                          "delete it and run `heliograph login` again.") from None
    return {key: value for key, value in data.items() if key in KEYS and isinstance(value, str)}


def write_file(path: Path, values: dict[str, str]) -> None:
    """Write the config file atomically, readable by its owner only (mode 0600).

    Raise `ClientError` naming the path when the file or its directory cannot be written.
    """
    lines = ["# Written by `heliograph login`. It holds an API token: keep it private.\n"]
    # A JSON string is a valid TOML basic string: the same quotes and escapes.
    lines += [f"{key} = {json.dumps(values[key])}\n" for key in KEYS if values.get(key)]
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".config-", dir=path.parent)
    except OSError as error:
        raise _unwritable(path, error) from None
    try:
        # mkstemp creates the file with mode 0600 already; this states the intent.
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _unwritable(path, error) from None
        raise


def remove_file(path: Path) -> bool:
    """Delete the config file; return whether it existed."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise ClientError(f"Cannot delete the config file {path}: {error.strerror}. Delete it "
                          "by hand.") from None
    return True


def _unwritable(path: Path, error: OSError) -> ClientError:
    return ClientError(f"Cannot save the config file {path}: {error.strerror or error}. Make "
                       f"{path.parent} a directory you can write to, or point XDG_CONFIG_HOME "
                       "at one. Nothing was saved.")


def check_token(raw: str, *, source: str) -> str:
    """Return the token stripped; reject one that cannot be an API token.

    Tokens are printable ASCII without spaces. Anything else cannot travel in an HTTP header,
    so it is a paste gone wrong rather than a token the server would reject.
    """
    token = raw.strip()
    if not all(char.isascii() and char.isprintable() and not char.isspace() for char in token):
        raise InvalidInput(f"The token from {source} contains spaces, control characters or "
                           "characters outside ASCII: give the token alone, as "
                           "`heliograph-admin token create` printed it.")
    return token


def normalize_url(raw: str, *, source: str) -> str:
    """Return the server's base URL without a trailing slash or API prefix."""
    url = raw.strip().rstrip("/")
    url = url.removesuffix(API_PREFIX).rstrip("/")
    example = "such as https://status.example.com or http://127.0.0.1:8000"
    try:
        parts = urlsplit(url)
        hostname, _ = parts.hostname, parts.port
    except ValueError as error:
        # urlsplit rejects an unclosed IPv6 bracket, and `port` a port out of range.
        raise InvalidInput(f"{source}: {raw!r} is not a valid URL ({error}). Give the "
                           f"server's address, {example}.") from None
    if parts.scheme not in {"http", "https"} or not hostname:
        raise InvalidInput(f"{source}: {raw!r} is not an http or https URL. Give the server's "
                           f"address, {example}.")
    if parts.username is not None or parts.password is not None:
        # httpx would send them as Basic authentication in place of the token.
        # The URL is not repeated, because the password in it would reach the terminal.
        raise InvalidInput(f"{source}: the URL contains a user name or password. Give the "
                           "server's address without them, because the token is the only "
                           "credential.")
    if parts.query or parts.fragment:
        raise InvalidInput(f"{source}: {raw!r} has a query or fragment. Give the server's "
                           "address alone, such as https://status.example.com.")
    return url
