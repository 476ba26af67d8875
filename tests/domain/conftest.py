"""Fixtures of the domain tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from tests.domain.support import NOW


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Freeze the clock at `NOW`. Tests move it with `clock.move_to` or `clock.shift`."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


