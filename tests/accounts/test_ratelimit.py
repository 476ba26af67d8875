"""The cache counters behind the limits, on the configured cache."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import RequestFactory

from heliograph.accounts import ratelimit

LIMIT = ratelimit.Limit("test", max_count=3, seconds=60)


def test_counter_blocks_at_max_count(clock: time_machine.Traveller) -> None:
    for _ in range(LIMIT.max_count - 1):
        ratelimit.record(LIMIT, "subject")
    assert ratelimit.blocked(LIMIT, "subject") is None

    ratelimit.record(LIMIT, "subject")

    block = ratelimit.blocked(LIMIT, "subject")
    assert block is not None
    assert block.seconds_left() == LIMIT.seconds


def test_counter_window_starts_at_first_event(clock: time_machine.Traveller) -> None:
    ratelimit.record(LIMIT, "subject")
    clock.shift(dt.timedelta(seconds=50))
    ratelimit.record(LIMIT, "subject")
    ratelimit.record(LIMIT, "subject")

    block = ratelimit.blocked(LIMIT, "subject")

    assert block is not None
    assert block.seconds_left() == 10


def test_counter_restarts_after_window(clock: time_machine.Traveller) -> None:
    for _ in range(LIMIT.max_count):
        ratelimit.record(LIMIT, "subject")
    clock.shift(dt.timedelta(seconds=LIMIT.seconds))
    assert ratelimit.blocked(LIMIT, "subject") is None

    ratelimit.record(LIMIT, "subject")

    assert ratelimit.blocked(LIMIT, "subject") is None


def test_counter_subjects_independent(clock: time_machine.Traveller) -> None:
    for _ in range(LIMIT.max_count):
        ratelimit.record(LIMIT, "one")

    assert ratelimit.blocked(LIMIT, "two") is None


def test_counter_clear_lifts_block(clock: time_machine.Traveller) -> None:
    for _ in range(LIMIT.max_count):
        ratelimit.record(LIMIT, "subject")

    ratelimit.clear(LIMIT, "subject")

    assert ratelimit.blocked(LIMIT, "subject") is None


def test_latest_picks_longest_block() -> None:
    short = ratelimit.Block(LIMIT, until=100.0)
    long = ratelimit.Block(LIMIT, until=200.0)

    assert ratelimit.latest(None, short, long) is long
    assert ratelimit.latest(None, None) is None


def test_client_address_ipv4_kept() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")

    assert ratelimit.client_address(request) == "203.0.113.7"


def test_client_address_ipv6_grouped_by_64() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")

    assert ratelimit.client_address(request) == "2001:db8:1:2::/64"
