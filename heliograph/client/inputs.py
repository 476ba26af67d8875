"""Values of options: texts where `-` reads standard input, and required options."""

from __future__ import annotations

import sys

from heliograph.client.errors import InvalidInput


def read_text(value: str, *, option: str) -> str:
    """Return `value`, or standard input when `value` is `-`."""
    if value != "-":
        return value
    if sys.stdin.isatty():
        raise InvalidInput(f"{option} -: standard input is a terminal. Pipe the text in, such "
                           f"as `echo 'Text' | heliograph ... {option} -`.")
    text = sys.stdin.read().strip()
    if not text:
        raise InvalidInput(f"{option} -: standard input is empty. Pipe the text in.")
    return text


def require(values: dict[str, str | None]) -> None:
    """Reject the run when options without a prompt to ask for them are missing."""
    missing = [option for option, value in values.items() if not value]
    if missing:
        pronoun = "them" if len(missing) > 1 else "it"
        raise InvalidInput(f"Missing {', '.join(missing)}: give {pronoun} as "
                           f"option{'s' if len(missing) > 1 else ''}, or run the command at a "
                           "terminal to be asked.")
