"""What the client prints: tables and coloured states on a terminal, JSON with `--json`.

Colour is never the only sign of a state: each also has its own symbol and its label.
Without a terminal, rich prints no colours and no progress display; NO_COLOR turns colours
off on a terminal too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

# Symbol, label and colour of each state, as the public page words and colours them.
STATES: dict[str, tuple[str, str, str]] = {
    "operational": ("✓", "Operational", "green"),
    "degraded_performance": ("▲", "Degraded performance", "yellow"),
    "partial_outage": ("◆", "Partial outage", "dark_orange"),
    "major_outage": ("✖", "Major outage", "red"),
    "under_maintenance": ("■", "Under maintenance", "blue"),
}
LABELS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "completed": "Completed",
}
# Without a terminal, lines are not wrapped at 80 columns, so that tools such as grep see
# each table row on one line.
PIPE_WIDTH = 400


def is_interactive() -> bool:
    """Return whether a person is at a terminal, who can see a progress bar."""
    return sys.stdout.isatty() and sys.stderr.isatty()


class Output:
    def __init__(self, *, as_json: bool = False) -> None:
        self.as_json = as_json
        terminal = sys.stdout.isatty()
        self.console = Console(highlight=False, soft_wrap=not terminal,
                               width=None if terminal else PIPE_WIDTH)
        self.errors = Console(stderr=True, highlight=False)

    def json(self, data: Any) -> None:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))

    def print(self, *items: Any) -> None:
        self.console.print(*items)

    def line(self, text: str) -> None:
        """Print plain text, without reading rich markup in it."""
        self.console.print(Text(text))

    def note(self, text: str) -> None:
        """Print a message for the person on standard error, which `--json` keeps clean."""
        self.errors.print(Text(text))

    @contextmanager
    def progress(self, noun: str, total: int | None) -> Iterator[Any]:
        """Show a progress bar on standard error while a long list is fetched.

        Without a terminal this shows nothing, so that piped output stays clean.
        """
        if not is_interactive():
            yield _Silent()
            return
        display = Progress(
            SpinnerColumn(), TextColumn(f"Fetching {noun}"), BarColumn(),
            TextColumn("{task.completed} fetched"), console=self.errors, transient=True,
        )
        with display:
            task = display.add_task(noun, total=total)
            yield _Reporter(display, task)


class _Silent:
    def advance(self, count: int) -> None:
        pass


class _Reporter:
    def __init__(self, display: Progress, task: Any) -> None:
        self.display, self.task = display, task

    def advance(self, count: int) -> None:
        self.display.advance(self.task, count)


def table(*columns: str) -> Table:
    return Table(*columns, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)


def state_text(state: str) -> Text:
    symbol, label, colour = STATES.get(state, ("?", state, "default"))
    return Text(f"{symbol} {label}", style=colour)


def label(value: str | None) -> str:
    return LABELS.get(value or "", value or "")


def plain(value: Any) -> Text:
    """Return user text (a title, a name) as rich text that is never read as markup."""
    return Text("" if value is None else str(value))
