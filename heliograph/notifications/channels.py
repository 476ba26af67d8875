"""The channels a notice goes out on, and the registry that the outbox and worker read.

A channel names the recipients of a notice (`recipients`) when the notice is recorded, and
sends one delivery (`send`) when the worker claims it. A channel may also have
`batch(deliveries)`, a context manager that the worker enters around the sends of one claimed
batch, to share a connection or a lookup among them. New channels register themselves in
their app's `ready()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

from heliograph.domain.models import IncidentEvent, Maintenance, MaintenanceEvent, Page

if TYPE_CHECKING:
    from heliograph.notifications.models import Delivery


class Kind:
    INCIDENT_EVENT = "incident.event"
    MAINTENANCE_SCHEDULED = "maintenance.scheduled"
    MAINTENANCE_EVENT = "maintenance.event"
    # A post on the page's social accounts shortly before a maintenance starts.
    MAINTENANCE_REMINDER = "maintenance.reminder"


@dataclass(frozen=True)
class Notice:
    """A change that subscribers receive a message about, with the services it concerns."""

    page: Page
    kind: str
    # Empty when the change names no service, which concerns the whole page.
    service_ids: frozenset[int]
    incident_event: IncidentEvent | None = None
    maintenance: Maintenance | None = None
    maintenance_event: MaintenanceEvent | None = None


class Recipient(NamedTuple):
    """One recipient of a channel: a stable identifier, and how the console shows it."""

    key: str
    label: str


class TemporaryFailure(Exception):
    """A send that failed but may work later (a 4xx SMTP reply, a timeout, a closed connection).

    `retry_at` is the earliest time the recipient accepts another try (a rate limit's reset).
    """

    def __init__(self, *args: object, retry_at: dt.datetime | None = None) -> None:
        super().__init__(*args)
        self.retry_at = retry_at


class PermanentFailure(Exception):
    """A send that will never work (a rejected address, a recipient that no longer exists)."""


class Cancelled(Exception):
    """A delivery that must not be sent any more, because its recipient has gone away."""


class Channel(Protocol):
    name: str

    def recipients(self, notice: Notice) -> Iterable[Recipient]:
        """Return the recipients who must receive `notice`."""
        ...

    def send(self, delivery: Delivery) -> None:
        """Send one delivery.

        Raise `TemporaryFailure` or `PermanentFailure` when it fails, and `Cancelled` when the
        recipient no longer wants it. Any other exception is treated as temporary.
        """
        ...


_registry: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    if len(channel.name) > 32:
        raise ValueError(f"channel name {channel.name!r} is longer than 32 characters")
    _registry[channel.name] = channel


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> list[Channel]:
    return list(_registry.values())


def get(name: str) -> Channel | None:
    return _registry.get(name)
