"""`heliograph status`: the page as the public sees it now."""

from __future__ import annotations

from typing import Any

import click
from rich.text import Text

from heliograph.client.app import App, json_option, page_option, pass_app
from heliograph.client.output import STATES, label, plain, state_text
from heliograph.client.times import display_zone, format_time


@click.command()
@page_option
@json_option
@pass_app
def status(app: App) -> None:
    """Show the banner, each service's state, open incidents and maintenances."""
    slug = app.slug()
    current = app.api().get(f"/pages/{slug}/status", what=f"page {slug!r}")
    if app.as_json:
        app.output.json(current)
        return
    settings = app.page(slug)
    zone, zone_name = display_zone(current["time_zone"])
    out = app.output

    out.print(Text.assemble((settings["title"], "bold"), "  ", settings["public_url"]))
    banner = current["banner"]
    symbol, _, colour = STATES.get(banner["state"], ("?", "", "default"))
    out.print(Text(f"{symbol} {banner['message']}", style=f"bold {colour}"))

    if current["services"]:
        out.print(Text("\nServices", style="bold"))
        for group, members in _grouped(current["services"]):
            indent = "  "
            if group is not None:
                out.print(plain(f"  {group}"))
                indent = "    "
            width = max(len(member["name"]) for member in members)
            for member in members:
                out.print(Text.assemble(indent, member["name"].ljust(width), "  ",
                                        state_text(member["state"])))

    if current["incidents"]:
        out.print(Text("\nOpen incidents", style="bold"))
        for item in current["incidents"]:
            out.print(Text.assemble(f"  #{item['id']} ", (item["title"], "bold"), "  ",
                                    state_text(item["state"]), f", {label(item['status'])}, "
                                    f"since {format_time(item['opened_at'], zone)}"))
            if item["latest_text"]:
                out.print(Text(f"    {item['latest_text']}"))

    if current["maintenances"]:
        out.print(Text("\nMaintenances", style="bold"))
        for item in current["maintenances"]:
            window = (f"{format_time(item['starts_at'], zone)} to "
                      f"{format_time(item['ends_at'], zone)}")
            out.print(Text.assemble(f"  #{item['id']} ", (item["title"], "bold"),
                                    f"  {label(item['status'])}, {window}"))

    out.print(Text(f"\nTimes in {zone_name}. Updated "
                   f"{format_time(current['updated_at'], zone)}.", style="dim"))


def _grouped(services: list[dict[str, Any]]) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """Return the services in runs of the same group, in the page's order."""
    runs: list[tuple[str | None, list[dict[str, Any]]]] = []
    for service in services:
        if runs and runs[-1][0] == service["group"]:
            runs[-1][1].append(service)
        else:
            runs.append((service["group"], [service]))
    return runs
