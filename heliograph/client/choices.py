"""Option types for the domain's words, accepting short forms such as `major`."""

from __future__ import annotations

from typing import Any

import click

OPENING_STATES = ("degraded_performance", "partial_outage", "major_outage")
STATES = ("operational", *OPENING_STATES)
OPENING_STATUSES = ("investigating", "identified", "monitoring")
STATUSES = (*OPENING_STATUSES, "resolved")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "completed")


class Word(click.Choice[str]):
    """A choice among wire spellings, that also takes a unique start of one (`major`,
    `partial`) and hyphens for underscores (`in-progress`)."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        matches = [choice for choice in self.choices if str(choice).startswith(text)]
        exact = [choice for choice in self.choices if choice == text]
        if exact:
            return str(exact[0])
        if text and len(matches) == 1:
            return str(matches[0])
        return str(super().convert(value, param, ctx))
