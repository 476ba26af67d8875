"""What a restore clears of the cache: Heliograph's entries, and nothing else in Redis."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from heliograph.backups.operations import clear_cache

pytestmark = pytest.mark.django_db


def test_clear_cache_empties_entries() -> None:
    cache.set("page-version:7", 3)

    clear_cache()

    assert cache.get("page-version:7") is None


def test_clear_cache_spares_other_redis_keys() -> None:
    """On the Redis pass, keys outside KEY_PREFIX (Huey's queue, other programs) stay."""
    if not settings.REDIS_URL:
        # The in-process cache has no keys of other programs; the test above covers it.
        assert clear_cache() is None
        return
    client: Any = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    other = f"other-program:{uuid.uuid4().hex}"
    stored_response = f"{settings.CACHES['default']['KEY_PREFIX']}:edge:{uuid.uuid4().hex}"
    client.set(other, b"kept")
    client.set(stored_response, b"stale render")
    cache.set("page-version:7", 3)
    try:
        deleted = clear_cache()

        assert client.get(other) == b"kept"
        assert client.get(stored_response) is None
        assert cache.get("page-version:7") is None
        assert deleted is not None
        assert deleted >= 2
    finally:
        client.delete(other, stored_response)
