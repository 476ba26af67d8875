from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notifications.smtp_sink import SinkHandler, start
from tests.resilience.instances import PostgresInstance, postgres_instance, redis_instance
from tests.resilience.processes import HookReceiver


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[PostgresInstance]:
    with postgres_instance() as instance:
        yield instance


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    with redis_instance(tmp_path) as url:
        yield url


@pytest.fixture
def sink() -> Iterator[tuple[SinkHandler, int]]:
    handler = SinkHandler()
    controller = start(handler)
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def hooks() -> Iterator[HookReceiver]:
    receiver = HookReceiver()
    yield receiver
    receiver.close()
