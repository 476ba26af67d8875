"""Counters of failed logins and of sent e-mails, kept in the cache with a fixed window.

A window opens at the first counted event and lasts `Limit.seconds`; once it holds
`Limit.max_count` events, the subject is blocked until the window ends. The window's end is
stored next to the count and compared with `time.time()`, rather than left to the cache's
expiry alone, so that a clock moved by a test behaves the same with Redis as in process.

The cache is Django's default cache: in process by default (so each server process counts
on its own), or Redis when REDIS_URL is set (one count for every process).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

# Extra seconds the cache keeps a key after its window ends, so that a key never expires
# before its window is read as over.
EXPIRY_MARGIN = 60


@dataclass(frozen=True)
class Limit:
    name: str
    max_count: int
    seconds: int


@dataclass(frozen=True)
class Block:
    """A subject that reached its limit, and the UNIX time at which it may try again."""

    limit: Limit
    until: float

    def seconds_left(self) -> int:
        return max(1, math.ceil(self.until - time.time()))


LOGIN_PER_ACCOUNT = Limit("login-account", max_count=5, seconds=15 * 60)
LOGIN_PER_ADDRESS = Limit("login-address", max_count=20, seconds=15 * 60)
# Sign-up, verification and password-reset e-mails.
MAIL_PER_RECIPIENT = Limit("mail-recipient", max_count=5, seconds=60 * 60)
MAIL_PER_ADDRESS = Limit("mail-address", max_count=20, seconds=60 * 60)


def client_address(request: HttpRequest) -> str:
    """Return the client's IP address, or its /64 network for IPv6.

    One IPv6 customer is usually assigned a whole /64, so counting single addresses would let one
    client spread its attempts over billions of them.
    NOTE: this is the address of the TCP peer (REMOTE_ADDR). Behind a reverse proxy every
    client shares the proxy's address, and the per-address limits then apply to all of them
    together.
    """
    raw = request.META.get("REMOTE_ADDR", "") or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def blocked(limit: Limit, subject: str) -> Block | None:
    """Return the block on `subject` if it has reached `limit` in its current window."""
    count_key, end_key = _keys(limit, subject)
    end = cache.get(end_key)
    if end is None or end <= time.time():
        return None
    if cache.get(count_key, 0) < limit.max_count:
        return None
    return Block(limit, end)


def record(limit: Limit, subject: str) -> None:
    """Count one event for `subject`, opening a new window if none is running."""
    count_key, end_key = _keys(limit, subject)
    now = time.time()
    end = cache.get(end_key)
    if end is not None and end <= now:
        cache.delete_many([count_key, end_key])
    timeout = limit.seconds + EXPIRY_MARGIN
    cache.add(end_key, now + limit.seconds, timeout)
    # add-then-incr keeps concurrent events from overwriting each other's count.
    cache.add(count_key, 0, timeout)
    try:
        cache.incr(count_key)
    except ValueError:
        # The key was evicted between the two calls.
        cache.set(count_key, 1, timeout)


def clear(limit: Limit, subject: str) -> None:
    cache.delete_many(list(_keys(limit, subject)))


def _keys(limit: Limit, subject: str) -> tuple[str, str]:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    base = f"accounts:limit:{limit.name}:{digest}"
    return f"{base}:count", f"{base}:end"


def latest(*blocks: Block | None) -> Block | None:
    """Return the block that lasts longest among `blocks`, or None when there is none."""
    present = [block for block in blocks if block is not None]
    return max(present, key=lambda block: block.until) if present else None
