"""`heliograph incident open|update|close|list|show`."""

from __future__ import annotations

import sys
from typing import Any

import click

from heliograph.client.app import App, json_option, list_options, page_option, pass_app
from heliograph.client.choices import OPENING_STATES, OPENING_STATUSES, STATES, STATUSES, Word
from heliograph.client.inputs import read_text, require
from heliograph.client.output import label, plain, state_text, table
from heliograph.client.resolve import INCIDENT, all_services, find, service_ids, service_names
from heliograph.client.times import format_time, parse_event_time, to_api

# API fields and the options that set them, for error messages.
INCIDENT_OPTIONS = {"title": "--title", "text": "--text", "state": "--state",
                    "status": "--status", "services": "--service", "at": "--at"}

at_option = click.option(
    "--at", metavar="TIME",
    help="When it happened, if earlier than now: YYYY-MM-DD HH:MM or HH:MM (today) in the "
         "page's time zone, or ISO 8601 with an offset.")
yes_option = click.option("--yes", "-y", is_flag=True,
                          help="Do not prompt for missing values or confirmation.")
service_option = click.option(
    "--service", "-s", "services", multiple=True, metavar="NAME",
    help="An affected service, by name or id (repeatable, or names separated by commas).")


@click.group()
def incident() -> None:
    """Open, update, close, list and show incidents.

    An incident is named by its id (12 or #12) or by the start of its title, ignoring case.
    """


@incident.command("list")
@click.option("--status", type=click.Choice(["open", "closed", "all"]), default="all",
              show_default=True, help="Only open, only closed, or all incidents.")
@list_options("newest first")
@page_option
@json_option
@pass_app
def list_incidents(app: App, status: str, title_prefix: str | None, limit: int,
                   every: bool) -> None:
    """List incidents, newest first."""
    slug = app.slug()
    items = app.list_items(slug, "incidents", status=status, title_prefix=title_prefix,
                           limit=None if every else limit)
    if app.as_json:
        app.output.json(items)
        return
    if not items:
        app.output.line(f"No {'' if status == 'all' else status + ' '}incidents on page {slug}.")
        return
    zone, zone_name = app.zone(slug)
    rows = table("ID", "Title", "State", "Status", f"Opened ({zone_name})", "Closed")
    for item in items:
        rows.add_row(str(item["id"]), plain(item["title"]), state_text(item["state"]),
                     label(item["status"]), format_time(item["opened_at"], zone),
                     format_time(item["closed_at"], zone) or "open")
    app.output.print(rows)


@incident.command("show")
@click.argument("ref", metavar="INCIDENT")
@page_option
@json_option
@pass_app
def show_incident(app: App, ref: str) -> None:
    """Show INCIDENT with all its events, newest first."""
    slug = app.slug()
    found = find(app, slug, INCIDENT, ref)
    if app.as_json:
        app.output.json(found)
        return
    services = all_services(app, slug)
    zone, zone_name = app.zone(slug)
    app.output.print(plain(f"#{found['id']} {found['title']}"))
    facts = table("", "")
    facts.show_header = False
    facts.add_row("State", state_text(found["state"]))
    facts.add_row("Status", label(found["status"]))
    facts.add_row("Services", plain(service_names(services, found["services"])))
    facts.add_row("Opened", format_time(found["opened_at"], zone))
    facts.add_row("Closed", format_time(found["closed_at"], zone) or "open")
    if found.get("backfilled"):
        facts.add_row("Backfilled", "yes")
    facts.add_row("Public page", plain(_public_link(app, slug, found["id"])))
    app.output.print(facts)
    events = table(f"Time ({zone_name})", "State", "Status", "Services", "Text")
    for event in found.get("events") or []:
        events.add_row(format_time(event["at"], zone), state_text(event["state"]),
                       label(event["status"]), plain(service_names(services, event["services"])),
                       plain(event["text"]))
    app.output.print(events)
    if found.get("post_mortem"):
        app.output.line("Post-mortem:")
        app.output.line(found["post_mortem"])


@incident.command("open")
@click.option("--title", help="What is wrong, as the public sees it.")
@click.option("--text", help="The first update, in Markdown ('-' reads standard input).")
@click.option("--state", type=Word(OPENING_STATES),
              help="How bad it is; a unique start such as major is enough.")
@click.option("--status", type=Word(OPENING_STATUSES),
              help="Where the team is (default: investigating).")
@service_option
@at_option
@yes_option
@page_option
@json_option
@pass_app
def open_incident(app: App, title: str | None, text: str | None, state: str | None,
                  status: str | None, services: tuple[str, ...], at: str | None,
                  yes: bool) -> None:
    """Open an incident.

    Missing values are prompted for on a terminal; without one (or with --yes), --title,
    --text and --state are required and --status defaults to investigating.
    """
    slug = app.slug()
    ask = sys.stdin.isatty() and not yes
    known = all_services(app, slug)
    if ask:
        title = title or click.prompt("Title", err=True)
        text = text or click.prompt("First update", err=True)
        state = state or click.prompt("State", type=Word(OPENING_STATES), err=True)
        status = status or click.prompt("Status", type=Word(OPENING_STATUSES),
                                        default="investigating", err=True)
        if not services and known:
            services = (_prompt_services(known, default=""),)
    require({"--title": title, "--text": text, "--state": state})
    assert text is not None
    body: dict[str, Any] = {
        "title": title, "text": read_text(text, option="--text"), "state": state,
        "status": status or "investigating",
        "services": service_ids(known, services, slug=slug),
    }
    if at:
        body["at"] = to_api(parse_event_time(at, app.page(slug)["time_zone"]))
    app.confirm(f"Open {title!r} on page {slug} as {body['state']}, {body['status']}, "
                f"affecting {service_names(known, body['services'])}?", yes=yes)
    opened = app.api().request("POST", f"/pages/{slug}/incidents", what=f"page {slug!r}",
                               body=body, options=INCIDENT_OPTIONS)
    if app.as_json:
        app.output.json(opened)
        return
    app.output.line(f"Opened incident #{opened['id']} {opened['title']!r} on page {slug}: "
                    f"{_words(opened)}; services: {service_names(known, opened['services'])}.")
    app.output.line(f"Public page: {_public_link(app, slug, opened['id'])}")


@incident.command("update")
@click.argument("ref", metavar="INCIDENT")
@click.option("--text", help="The update, in Markdown ('-' reads standard input).")
@click.option("--state", type=Word(STATES),
              help="The state now (default: unchanged; operational with --status resolved).")
@click.option("--status", type=Word(STATUSES),
              help="The status now (default: unchanged); resolved closes the incident.")
@click.option("--service", "-s", "services", multiple=True, metavar="NAME",
              help="The services this update concerns, when they differ from the incident's "
                   "(repeatable).")
@at_option
@yes_option
@page_option
@json_option
@pass_app
def update_incident(app: App, ref: str, text: str | None, state: str | None,
                    status: str | None, services: tuple[str, ...], at: str | None,
                    yes: bool) -> None:
    """Post an update to INCIDENT.

    Open incidents are searched first for a title prefix. Missing values are prompted for on
    a terminal; without one (or with --yes), --text is required and the state and status
    stay as they are.
    """
    slug = app.slug()
    found = find(app, slug, INCIDENT, ref, unfinished_first=True)
    known = all_services(app, slug)
    if status == "resolved" and state is None:
        state = "operational"
    if sys.stdin.isatty() and not yes:
        app.output.note(f"Incident #{found['id']} {found['title']}: {_words(found)}.")
        text = text or click.prompt("Update", err=True)
        state = state or click.prompt("State", type=Word(STATES), default=found["state"],
                                      err=True)
        status = status or click.prompt("Status", type=Word(STATUSES),
                                        default=found["status"], err=True)
    require({"--text": text})
    assert text is not None
    body: dict[str, Any] = {"text": read_text(text, option="--text"),
                            "state": state or found["state"],
                            "status": status or found["status"]}
    if services:
        body["services"] = service_ids(known, services, slug=slug)
    if at:
        body["at"] = to_api(parse_event_time(at, app.page(slug)["time_zone"]))
    app.confirm(f"Post to #{found['id']} {found['title']!r}: {body['state']}, "
                f"{body['status']}?", yes=yes)
    event = app.api().request("POST", f"/pages/{slug}/incidents/{found['id']}/events",
                              what=f"incident #{found['id']} on page {slug!r}", body=body,
                              options=INCIDENT_OPTIONS)
    if app.as_json:
        app.output.json(event)
        return
    closed = " The incident is now closed." if event["status"] == "resolved" else ""
    app.output.line(f"Posted an update to incident #{found['id']} {found['title']!r}: "
                    f"{_words(event)}.{closed}")


@incident.command("close")
@click.argument("ref", metavar="INCIDENT")
@click.option("--text", help="The last update (default: a standard resolved message).")
@at_option
@yes_option
@page_option
@json_option
@pass_app
def close_incident(app: App, ref: str, text: str | None, at: str | None, yes: bool) -> None:
    """Close INCIDENT: its services go back to operational.

    Open incidents are searched first for a title prefix.
    """
    slug = app.slug()
    found = find(app, slug, INCIDENT, ref, unfinished_first=True)
    body: dict[str, Any] = {}
    if text:
        body["text"] = read_text(text, option="--text")
    if at:
        body["at"] = to_api(parse_event_time(at, app.page(slug)["time_zone"]))
    app.confirm(f"Close incident #{found['id']} {found['title']!r}?", yes=yes)
    closed = app.api().request("POST", f"/pages/{slug}/incidents/{found['id']}/close",
                               what=f"incident #{found['id']} on page {slug!r}", body=body,
                               options=INCIDENT_OPTIONS)
    if app.as_json:
        app.output.json(closed)
        return
    zone, _ = app.zone(slug)
    app.output.line(f"Closed incident #{closed['id']} {closed['title']!r} at "
                    f"{format_time(closed['closed_at'], zone)}.")


def _words(item: dict[str, Any]) -> str:
    return f"{state_text(item['state']).plain}, {label(item['status'])}"


def _public_link(app: App, slug: str, incident_id: int) -> str:
    return f"{app.page(slug)['public_url']}incidents/{incident_id}"


def _prompt_services(known: list[dict[str, Any]], *, default: str) -> str:
    names = ", ".join(service["name"] for service in known)
    return str(click.prompt(f"Affected services, separated by commas ({names}; empty for none)",
                            default=default, show_default=False, err=True))

