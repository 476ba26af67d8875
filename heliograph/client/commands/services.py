"""`heliograph service list|add|remove`."""

from __future__ import annotations

import datetime as dt
import sys

import click

from heliograph.client.app import App, json_option, page_option, pass_app
from heliograph.client.errors import InvalidInput
from heliograph.client.output import plain, state_text, table
from heliograph.client.resolve import all_services, find_service

# API fields of a service and the options that set them, for error messages.
SERVICE_OPTIONS = {"name": "NAME", "description": "--description", "group": "--group",
                   "position": "--position", "start_date": "--start-date"}


@click.group()
def service() -> None:
    """List, add and remove the services of a page."""


@service.command("list")
@page_option
@json_option
@pass_app
def list_services(app: App) -> None:
    """List the page's services with their current state."""
    slug = app.slug()
    services = list(app.api().walk(f"/pages/{slug}/services", what=f"page {slug!r}",
                                   noun="services", progress=app.output.progress))
    if app.as_json:
        app.output.json(services)
        return
    if not services:
        app.output.line(f"Page {slug} has no services. Add one with `heliograph service add "
                        "NAME`.")
        return
    rows = table("ID", "Name", "Group", "State")
    for item in services:
        rows.add_row(str(item["id"]), plain(item["name"]), plain(item["group"] or ""),
                     state_text(item["state"]))
    app.output.print(rows)


@service.command("add")
@click.argument("name")
@click.option("--description", default="", help="What the service is, shown to the public.")
@click.option("--group", metavar="NAME", help="Group to put it in; created when missing.")
@click.option("--position", type=click.IntRange(0, 1_000_000),
              help="Place in the list, from 0 (default: last).")
@click.option("--start-date", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="First local day the service reports outage figures for (default: today).")
@page_option
@json_option
@pass_app
def add_service(app: App, name: str, description: str, group: str | None,
                position: int | None, start_date: dt.datetime | None) -> None:
    """Add a service called NAME to the page."""
    slug = app.slug()
    body: dict[str, object] = {"name": name, "description": description}
    if group is not None:
        body["group"] = group
    if position is not None:
        body["position"] = position
    if start_date is not None:
        body["start_date"] = start_date.date().isoformat()
    added = app.api().request("POST", f"/pages/{slug}/services", what=f"page {slug!r}",
                              body=body, options=SERVICE_OPTIONS)
    if app.as_json:
        app.output.json(added)
        return
    where = f" in group {added['group']}" if added["group"] else ""
    app.output.line(f"Added service {added['name']!r} (id {added['id']}){where} to page {slug}.")


@service.command("remove")
@click.argument("service_ref", metavar="SERVICE")
@click.option("--yes", "-y", is_flag=True, help="Remove without asking; needed without a "
                                                "terminal.")
@page_option
@json_option
@pass_app
def remove_service(app: App, service_ref: str, yes: bool) -> None:
    """Remove SERVICE (a name or an id) from the page.

    Its past incidents and maintenances stay, without it.
    """
    slug = app.slug()
    found = find_service(all_services(app, slug), service_ref, slug=slug)
    if not yes and not sys.stdin.isatty():
        raise InvalidInput(f"Removing the service {found['name']!r} cannot be undone: add "
                           "--yes to remove it without a terminal to confirm.")
    app.confirm(f"Remove the service {found['name']!r} (id {found['id']}) from page {slug}? "
                "It disappears from its incidents and maintenances.", yes=yes)
    app.api().request("DELETE", f"/pages/{slug}/services/{found['id']}",
                      what=f"service {found['name']!r} on page {slug!r}")
    if app.as_json:
        app.output.json({"removed": found})
        return
    app.output.line(f"Removed service {found['name']!r} (id {found['id']}) from page {slug}.")
