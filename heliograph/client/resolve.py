"""Find an incident, a maintenance or a service by what the user typed.

Incidents and maintenances are named by id (`12` or `#12`) or by the start of their title,
ignoring case. Services are named by id or by their whole name, ignoring case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from heliograph.client.app import App
from heliograph.client.errors import InvalidInput, NotFound
from heliograph.client.output import label
from heliograph.client.times import format_time

# ASCII digits only: `int` also reads other scripts' digits, which no one types for an id.
_ID = re.compile(r"#?([0-9]{1,18})")
# Candidates listed in the message about an ambiguous prefix.
SHOWN_CANDIDATES = 10


@dataclass(frozen=True)
class Kind:
    noun: str
    path: str
    # Statuses searched first by commands that act on unfinished ones (update, close).
    unfinished: tuple[str, ...]
    time_key: str


INCIDENT = Kind("incident", "incidents", ("open",), "opened_at")
MAINTENANCE = Kind("maintenance", "maintenances", ("in_progress", "scheduled"), "starts_at")


def find(app: App, slug: str, kind: Kind, ref: str, *,
         unfinished_first: bool = False) -> dict[str, Any]:
    """Return the incident or maintenance `ref` names on page `slug`, with its events.

    1. An id (`12`, `#12`) is read directly. When no such id exists and the text has no
       `#`, it is tried as a title prefix, for titles such as "500 errors".
    2. A title prefix must match exactly one, or be the whole title (ignoring case) of
       exactly one, so that "API" names an incident titled "API" beside "API errors". With
       `unfinished_first`, the unfinished ones are searched first and the finished ones only
       when none of those match.
    """
    text = ref.strip()
    if not text:
        raise InvalidInput(f"Name the {kind.noun} by its id or the start of its title.")
    number = _ID.fullmatch(text)
    if number:
        try:
            found: dict[str, Any] = app.api().get(
                f"/pages/{slug}/{kind.path}/{int(number.group(1))}",
                what=f"{kind.noun} #{number.group(1)} on page {slug!r}")
            return found
        except NotFound:
            if text.startswith("#"):
                raise

    groups: list[Sequence[str | None]] = [kind.unfinished, [None]] if unfinished_first \
        else [[None]]
    for statuses in groups:
        matches = _search(app, slug, kind, text, statuses)
        whole = _whole_title_matches(app, slug, kind, text, statuses, matches)
        if len(whole) == 1:
            matches = whole
        if len(matches) == 1:
            found_id = matches[0]["id"]
            match: dict[str, Any] = app.api().get(
                f"/pages/{slug}/{kind.path}/{found_id}",
                what=f"{kind.noun} #{found_id} on page {slug!r}")
            return match
        if matches:
            raise InvalidInput(_ambiguous(app, slug, kind, text, matches))
    raise NotFound(f"No {kind.noun} on page {slug!r} has the id or a title starting with "
                   f"{text!r}: `heliograph {kind.noun} list` shows them.")


def _search(app: App, slug: str, kind: Kind, prefix: str, statuses: Sequence[str | None],
            *, limit: int | None = SHOWN_CANDIDATES + 1) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for status in statuses:
        params: dict[str, Any] = {"title_prefix": prefix}
        if status:
            params["status"] = status
        found += app.api().walk(f"/pages/{slug}/{kind.path}", what=f"page {slug!r}",
                                noun=kind.path, params=params, limit=limit)
    return found


def _whole_title_matches(app: App, slug: str, kind: Kind, text: str,
                         statuses: Sequence[str | None],
                         matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the matches whose whole title is `text`, ignoring case.

    `matches` contains the newest candidates only. When it was cut short, every candidate is
    fetched, so that the answer does not depend on how many newer titles share the prefix.
    """
    if len(matches) > SHOWN_CANDIDATES:
        matches = _search(app, slug, kind, text, statuses, limit=None)
    return [item for item in matches if str(item.get("title", "")).casefold() ==
            text.casefold()]


def _ambiguous(app: App, slug: str, kind: Kind, prefix: str,
               matches: list[dict[str, Any]]) -> str:
    zone, _ = app.zone(slug)
    more = len(matches) > SHOWN_CANDIDATES
    lines = [f"{prefix!r} matches {'more than ' if more else ''}"
             f"{min(len(matches), SHOWN_CANDIDATES)} {kind.path} on page {slug!r}:"]
    for match in matches[:SHOWN_CANDIDATES]:
        state = "closed" if match.get("closed_at") else "open"
        if kind is MAINTENANCE:
            state = label(match.get("status"))
        lines.append(f"  #{match['id']}  {match['title']}  ({state}, "
                     f"{format_time(match.get(kind.time_key), zone)})")
    lines.append(f"Give the id, or more of the title, to name one {kind.noun}.")
    return "\n".join(lines)


def all_services(app: App, slug: str) -> list[dict[str, Any]]:
    return list(app.api().walk(f"/pages/{slug}/services", what=f"page {slug!r}",
                               noun="services"))


def find_service(services: list[dict[str, Any]], ref: str, *, slug: str,
                 option: str = "SERVICE") -> dict[str, Any]:
    """Return the service named `ref` (an id or a name, ignoring case) among `services`."""
    text = ref.strip()
    name_key = text.casefold()
    by_name = [service for service in services if service["name"].casefold() == name_key]
    if by_name:
        return by_name[0]
    number = _ID.fullmatch(text)
    if number:
        by_id = [service for service in services if service["id"] == int(number.group(1))]
        if by_id:
            return by_id[0]
    names = ", ".join(service["name"] for service in services) or "none yet"
    raise NotFound(f"{option}: page {slug!r} has no service named {text!r} (its services: "
                   f"{names}). Add one with `heliograph service add NAME`.")


def service_ids(services: list[dict[str, Any]], refs: Sequence[str], *, slug: str,
                option: str = "--service") -> list[int]:
    """Return the ids of the services named in `refs`.

    A ref that is not itself a service's name may list several names separated by commas.
    """
    names = {service["name"].casefold() for service in services}
    ids: list[int] = []
    for ref in refs:
        parts = [ref] if ref.strip().casefold() in names else ref.split(",")
        for part in parts:
            if part.strip():
                found = find_service(services, part, slug=slug, option=option)["id"]
                if found not in ids:
                    ids.append(found)
    return ids


def service_names(services: list[dict[str, Any]], ids: Sequence[int]) -> str:
    names = {service["id"]: service["name"] for service in services}
    return ", ".join(names.get(service_id, f"#{service_id}") for service_id in ids) or "none"
