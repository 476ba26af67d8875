"""`heliograph page list|show`."""

from __future__ import annotations

import click

from heliograph.client.app import App, check_slug, json_option, page_option, pass_app
from heliograph.client.output import plain, table
from heliograph.client.times import display_zone, format_time


@click.group()
def page() -> None:
    """List the pages the token reaches, and show a page's settings."""


@page.command("list")
@json_option
@pass_app
def list_pages(app: App) -> None:
    """List the pages this token reaches, with your role on each."""
    pages = list(app.api().walk("/pages", what="the token's pages", noun="pages",
                                progress=app.output.progress))
    if app.as_json:
        app.output.json(pages)
        return
    if not pages:
        app.output.line("This token reaches no page.")
        return
    rows = table("Slug", "Title", "Role", "Time zone", "Public URL")
    for item in pages:
        rows.add_row(plain(item["slug"]), plain(item["title"]), item["role"],
                     item["time_zone"], plain(item["public_url"]))
    app.output.print(rows)


@page.command("show")
@click.argument("slug", required=False)
@page_option
@json_option
@pass_app
def show_page(app: App, slug: str | None) -> None:
    """Show the settings of page SLUG (default: the page in use)."""
    chosen = check_slug(slug, source="SLUG") if slug else app.slug()
    settings = app.page(chosen)
    if app.as_json:
        app.output.json(settings)
        return
    zone, _ = display_zone(settings["time_zone"])
    rows = table("Setting", "Value")
    shown = {
        "Title": settings["title"],
        "Slug": settings["slug"],
        "Public URL": settings["public_url"],
        "Your role": settings["role"],
        "Time zone": settings["time_zone"],
        "Default status message": settings["default_status_message"],
        "Banner colour rule": settings["banner_color_rule"],
        "Theme": settings["theme"],
        "Language": settings["language"],
        "Custom domain": settings["custom_domain"] or "none",
        "Private": "yes" if settings["is_private"] else "no",
        "Auto-start maintenances": "yes" if settings["auto_maintenance"] else "no",
        "Subscriptions": "on" if settings["subscriptions_enabled"] else "off",
        "Created": format_time(settings["created_at"], zone),
        "Updated": format_time(settings["updated_at"], zone),
    }
    for name, value in shown.items():
        rows.add_row(name, plain(value))
    app.output.print(rows)
