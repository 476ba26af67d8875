"""`heliograph maintenance schedule|update|close|list|show`."""

from __future__ import annotations

import sys
from typing import Any

import click

from heliograph.client.app import App, json_option, list_options, page_option, pass_app
from heliograph.client.choices import MAINTENANCE_STATUSES, Word
from heliograph.client.commands.incidents import at_option, service_option, yes_option
from heliograph.client.errors import ClientError, InvalidInput, Rejected
from heliograph.client.inputs import read_text, require
from heliograph.client.output import label, plain, table
from heliograph.client.resolve import MAINTENANCE, all_services, find, service_ids, service_names
from heliograph.client.times import format_time, parse_event_time, parse_time, to_api

MAINTENANCE_OPTIONS = {"title": "--title", "description": "--description",
                       "starts_at": "--start", "ends_at": "--end", "services": "--service",
                       "auto_transition": "--auto", "text": "--text", "status": "--status",
                       "at": "--at"}

start_option = click.option(
    "--start", metavar="TIME",
    help="Start of the window: YYYY-MM-DD HH:MM in the page's time zone, or ISO 8601 with an "
         "offset.")
end_option = click.option("--end", metavar="TIME", help="End of the window, as --start.")


@click.group()
def maintenance() -> None:
    """Schedule, update, close, list and show maintenances.

    A maintenance is named by its id (3 or #3) or by the start of its title, ignoring case.
    Times without an offset are read in the page's time zone.
    """


@maintenance.command("list")
@click.option("--status", type=Word([*MAINTENANCE_STATUSES, "all"]), default="all",
              show_default=True, help="Only maintenances with this status.")
@list_options("latest window first")
@page_option
@json_option
@pass_app
def list_maintenances(app: App, status: str, title_prefix: str | None, limit: int,
                      every: bool) -> None:
    """List maintenances, latest window first."""
    slug = app.slug()
    items = app.list_items(slug, "maintenances", status=status, title_prefix=title_prefix,
                           limit=None if every else limit)
    if app.as_json:
        app.output.json(items)
        return
    if not items:
        app.output.line(f"No maintenances on page {slug}.")
        return
    zone, zone_name = app.zone(slug)
    rows = table("ID", "Title", "Status", f"Starts ({zone_name})", "Ends")
    for item in items:
        status_text = label(item["status"]) + (" (overdue)" if item["overdue"] else "")
        rows.add_row(str(item["id"]), plain(item["title"]), status_text,
                     format_time(item["starts_at"], zone), format_time(item["ends_at"], zone))
    app.output.print(rows)


@maintenance.command("show")
@click.argument("ref", metavar="MAINTENANCE")
@page_option
@json_option
@pass_app
def show_maintenance(app: App, ref: str) -> None:
    """Show MAINTENANCE with its events, newest first."""
    slug = app.slug()
    found = find(app, slug, MAINTENANCE, ref)
    if app.as_json:
        app.output.json(found)
        return
    services = all_services(app, slug)
    zone, zone_name = app.zone(slug)
    app.output.print(plain(f"#{found['id']} {found['title']}"))
    facts = table("", "")
    facts.show_header = False
    facts.add_row("Status", label(found["status"]) + (" (overdue)" if found["overdue"] else ""))
    facts.add_row("Window", f"{format_time(found['starts_at'], zone)} to "
                            f"{format_time(found['ends_at'], zone)}")
    facts.add_row("Services", plain(service_names(services, found["services"])))
    auto = "yes" if found["auto_transition"] else "no"
    if found["auto_transition"] is None:
        auto = "as the page's setting"
    facts.add_row("Starts and ends by itself", auto)
    facts.add_row("Description", plain(found["description"]))
    facts.add_row("Public page",
                  plain(f"{app.page(slug)['public_url']}maintenances/{found['id']}"))
    app.output.print(facts)
    events = table(f"Time ({zone_name})", "Status", "Text")
    for event in found.get("events") or []:
        events.add_row(format_time(event["at"], zone), label(event["status"]),
                       plain(event["text"]))
    app.output.print(events)


@maintenance.command("schedule")
@click.option("--title", help="What the work is, as the public sees it.")
@click.option("--description", help="What to expect, in Markdown ('-' reads standard input).")
@start_option
@end_option
@service_option
@click.option("--auto/--no-auto", "auto", default=None,
              help="Start and complete at the window's times (default: the page's setting).")
@yes_option
@page_option
@json_option
@pass_app
def schedule_maintenance(app: App, title: str | None, description: str | None,
                         start: str | None, end: str | None, services: tuple[str, ...],
                         auto: bool | None, yes: bool) -> None:
    """Schedule a maintenance.

    Missing values are prompted for on a terminal; without one (or with --yes), --title,
    --start and --end are required.
    """
    slug = app.slug()
    zone_name = app.page(slug)["time_zone"]
    known = all_services(app, slug)
    if sys.stdin.isatty() and not yes:
        title = title or click.prompt("Title", err=True)
        start = start or click.prompt(f"Start (YYYY-MM-DD HH:MM, {zone_name})", err=True)
        end = end or click.prompt(f"End (YYYY-MM-DD HH:MM, {zone_name})", err=True)
        if description is None:
            description = click.prompt("Description", default="", show_default=False, err=True)
        if not services and known:
            names = ", ".join(service["name"] for service in known)
            services = (click.prompt(f"Affected services, separated by commas ({names}; "
                                     "empty for none)", default="", show_default=False,
                                     err=True),)
    require({"--title": title, "--start": start, "--end": end})
    assert start is not None and end is not None
    starts_at = parse_time(start, zone_name, option="--start")
    ends_at = parse_time(end, zone_name, option="--end")
    if ends_at <= starts_at:
        raise InvalidInput(f"--end ({ends_at.isoformat()}) is not after --start "
                           f"({starts_at.isoformat()}): give an end after the start.")
    body: dict[str, Any] = {
        "title": title, "description": read_text(description or "", option="--description"),
        "starts_at": to_api(starts_at), "ends_at": to_api(ends_at),
        "services": service_ids(known, services, slug=slug),
    }
    if auto is not None:
        body["auto_transition"] = auto
    zone, _ = app.zone(slug)
    window = (f"{format_time(body['starts_at'], zone)} to "
              f"{format_time(body['ends_at'], zone)} ({zone_name})")
    app.confirm(f"Schedule {title!r} on page {slug} from {window}?", yes=yes)
    scheduled = app.api().request("POST", f"/pages/{slug}/maintenances", what=f"page {slug!r}",
                                  body=body, options=MAINTENANCE_OPTIONS)
    if app.as_json:
        app.output.json(scheduled)
        return
    app.output.line(f"Scheduled maintenance #{scheduled['id']} {scheduled['title']!r} on page "
                    f"{slug} from {format_time(scheduled['starts_at'], zone)} to "
                    f"{format_time(scheduled['ends_at'], zone)} ({zone_name}); services: "
                    f"{service_names(known, scheduled['services'])}.")


@maintenance.command("update")
@click.argument("ref", metavar="MAINTENANCE")
@click.option("--text", help="An update to post, in Markdown ('-' reads standard input).")
@click.option("--status", type=Word(MAINTENANCE_STATUSES),
              help="With --text: in_progress (default; starts it), scheduled (a note before "
                   "it starts) or completed (closes it).")
@at_option
@click.option("--title", help="A new title.")
@click.option("--description", help="A new description ('-' reads standard input).")
@start_option
@end_option
@service_option
@yes_option
@page_option
@json_option
@pass_app
def update_maintenance(app: App, ref: str, text: str | None, status: str | None,
                       at: str | None, title: str | None, description: str | None,
                       start: str | None, end: str | None, services: tuple[str, ...],
                       yes: bool) -> None:
    """Post an update to MAINTENANCE, or change its announcement.

    --text posts an update; a scheduled maintenance then starts unless --status scheduled.
    --title, --description, --start, --end and --service change the announcement. Both can
    be given at once. Unfinished maintenances are searched first for a title prefix.
    """
    slug = app.slug()
    found = find(app, slug, MAINTENANCE, ref, unfinished_first=True)
    zone_name = app.page(slug)["time_zone"]
    changes: dict[str, Any] = {}
    if title:
        changes["title"] = title
    if description is not None:
        changes["description"] = read_text(description, option="--description")
    if start:
        changes["starts_at"] = to_api(parse_time(start, zone_name, option="--start"))
    if end:
        changes["ends_at"] = to_api(parse_time(end, zone_name, option="--end"))
    if services:
        changes["services"] = service_ids(all_services(app, slug), services, slug=slug)
    if text is None and not changes and sys.stdin.isatty() and not yes:
        app.output.note(f"Maintenance #{found['id']} {found['title']}: "
                        f"{label(found['status'])}.")
        text = click.prompt("Update", err=True)
    if text is None and not changes:
        raise InvalidInput("Nothing to do: give --text to post an update, or --title, "
                           "--description, --start, --end or --service to change it.")
    if (status or at) and text is None:
        raise InvalidInput("--status and --at describe an update: give --text too.")
    # The update is read and checked before the announcement changes, so that a bad --text,
    # --status or --at does not leave the change made and the update missing.
    event: dict[str, Any] | None = None
    if text is not None:
        event = _event_body(found, text=text, status=status, at=at, zone_name=zone_name)
    app.confirm(f"Update maintenance #{found['id']} {found['title']!r}?", yes=yes)

    what = f"maintenance #{found['id']} on page {slug!r}"
    path = f"/pages/{slug}/maintenances/{found['id']}"
    result = found
    if changes:
        result = app.api().request("PATCH", path, what=what, body=changes,
                                   options=MAINTENANCE_OPTIONS)
    if event is not None:
        try:
            result = app.api().request("POST", f"{path}/events", what=what, body=event,
                                       options=MAINTENANCE_OPTIONS)
        except ClientError as error:
            if not changes:
                raise
            # The same class keeps the exit code, and the message says what was already changed.
            raise type(error)(f"Changed {', '.join(_option_names(changes))} of maintenance "
                              f"#{found['id']}, but the update was not posted: "
                              f"{error.format_message()}") from None
    if app.as_json:
        app.output.json(result)
        return
    done = []
    if changes:
        done.append(f"changed {', '.join(_option_names(changes))}")
    if text is not None:
        done.append("posted an update")
    app.output.line(f"Maintenance #{result['id']} {result['title']!r}: {' and '.join(done)}; "
                    f"now {label(result['status'])}.")


@maintenance.command("close")
@click.argument("ref", metavar="MAINTENANCE")
@click.option("--text", help="The last update (default: a standard completed message).")
@at_option
@yes_option
@page_option
@json_option
@pass_app
def close_maintenance(app: App, ref: str, text: str | None, at: str | None, yes: bool) -> None:
    """Complete MAINTENANCE. Unfinished maintenances are searched first for a title prefix."""
    slug = app.slug()
    found = find(app, slug, MAINTENANCE, ref, unfinished_first=True)
    body: dict[str, Any] = {}
    if text:
        body["text"] = read_text(text, option="--text")
    if at:
        body["at"] = to_api(parse_event_time(at, app.page(slug)["time_zone"]))
    app.confirm(f"Complete maintenance #{found['id']} {found['title']!r}?", yes=yes)
    closed = app.api().request("POST", f"/pages/{slug}/maintenances/{found['id']}/close",
                               what=f"maintenance #{found['id']} on page {slug!r}", body=body,
                               options=MAINTENANCE_OPTIONS)
    if app.as_json:
        app.output.json(closed)
        return
    zone, _ = app.zone(slug)
    app.output.line(f"Completed maintenance #{closed['id']} {closed['title']!r} at "
                    f"{format_time(closed['completed_at'], zone)}.")


def _event_body(found: dict[str, Any], *, text: str, status: str | None, at: str | None,
                zone_name: str) -> dict[str, Any]:
    """Return the update to post; reject one that a completed maintenance cannot take."""
    if found["status"] == "completed":
        raise Rejected(f"Maintenance #{found['id']} {found['title']!r} is completed and takes "
                       "no further updates. Schedule a new one with `heliograph maintenance "
                       "schedule`.")
    event: dict[str, Any] = {"text": read_text(text, option="--text")}
    if status:
        event["status"] = status
    if at:
        event["at"] = to_api(parse_event_time(at, zone_name))
    return event


def _option_names(changes: dict[str, Any]) -> list[str]:
    return [MAINTENANCE_OPTIONS[key].lstrip("-") for key in changes]

