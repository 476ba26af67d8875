"""The words of the domain, with their wire spellings and their display labels.

This module is pure: the models, the API and the derived-state functions all import it.
"""

from enum import StrEnum


class State(StrEnum):
    """The severity of a service's condition, from best to worst."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def label(self) -> str:
        return _LABELS[self.value]


class DisplayState(StrEnum):
    """A state as the public page shows it: the four states plus maintenance."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


class Status(StrEnum):
    """The team's progress on an incident."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


class MaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


class BannerColorRule(StrEnum):
    """The rule that picks the open incident whose state colours the banner."""

    FIRST_OPENED = "first_opened"
    WORST = "worst"


class Theme(StrEnum):
    LIGHT = "light"
    DARK = "dark"
    AUTO = "auto"


_SEVERITY = {
    State.OPERATIONAL: 0,
    State.DEGRADED_PERFORMANCE: 1,
    State.PARTIAL_OUTAGE: 2,
    State.MAJOR_OUTAGE: 3,
}

_LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "completed": "Completed",
}


def worst(states: "list[State] | tuple[State, ...]") -> State:
    """Return the most severe of `states`, or operational when there are none."""
    return max(states, key=lambda state: state.severity, default=State.OPERATIONAL)
