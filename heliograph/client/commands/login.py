"""`heliograph login` and `heliograph logout`: the saved URL, token and default page."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from heliograph.client import config
from heliograph.client.api import Api
from heliograph.client.app import App, check_slug, json_option, pass_app
from heliograph.client.errors import ClientError, InvalidInput, NotFound


@click.command()
@click.option("--url", help="Address of the Heliograph server, such as "
                            "https://status.example.com (prompted for when missing).")
@click.option("--page", "page_slug", metavar="SLUG",
              help="The page later commands act on by default.")
@click.option("--token-stdin", is_flag=True,
              help="Read the token from the first line of standard input instead of a prompt.")
@json_option
@pass_app
def login(app: App, url: str | None, page_slug: str | None, token_stdin: bool) -> None:
    """Check a URL and an API token against the server, and save them.

    The token is one that `heliograph-admin token create` printed. The config file is
    written with mode 0600 to $XDG_CONFIG_HOME/heliograph/config.toml, or
    ~/.config/heliograph/config.toml. HELIOGRAPH_URL, HELIOGRAPH_TOKEN and HELIOGRAPH_PAGE
    override what it holds.
    """
    interactive = sys.stdin.isatty()
    path = config.config_path()
    if url is None:
        if not interactive:
            raise InvalidInput("--url is missing, and there is no terminal to ask for it: give "
                               "--url https://status.example.com.")
        url = click.prompt("Server URL", default=_current_url(app), err=True)
    url = config.normalize_url(url or "", source="--url")
    token = _read_token(token_stdin=token_stdin, interactive=interactive)

    api = Api(url, token)
    try:
        pages = list(api.walk("/pages", what="the token's pages", noun="pages",
                              progress=app.output.progress))
    finally:
        api.close()

    slugs = [page["slug"] for page in pages]
    if page_slug is not None:
        page_slug = check_slug(page_slug, source="--page")
        if page_slug not in slugs:
            raise NotFound(f"--page: this token does not reach the page {page_slug!r}; it "
                           f"reaches {', '.join(slugs) or 'no page'}. Nothing was saved.")
    elif len(slugs) == 1:
        page_slug = slugs[0]

    values = {"url": url, "token": token, "page": page_slug or ""}
    config.write_file(path, values)
    _report(app, url, pages, page_slug, path)


def _current_url(app: App) -> str | None:
    """Return the URL in force, as the prompt's default; None when the config is unusable."""
    try:
        return app.settings.url
    except ClientError:
        # A broken config file is what `login` replaces, so it must not stop it.
        return None


def _read_token(*, token_stdin: bool, interactive: bool) -> str:
    if token_stdin or not interactive:
        if interactive:
            click.echo("Paste the token and press Enter:", err=True)
        token = sys.stdin.readline().strip()
        if not token:
            raise InvalidInput("No token on standard input: pipe in the token that "
                               "`heliograph-admin token create` printed.")
    else:
        token = click.prompt("API token", hide_input=True, err=True).strip()
    source = "standard input" if token_stdin or not interactive else "the prompt"
    return config.check_token(str(token), source=source)


def _report(app: App, url: str, pages: list[dict[str, Any]], page_slug: str | None,
            path: Any) -> None:
    overridden = [name for name in (config.URL_VARIABLE, config.TOKEN_VARIABLE,
                                    config.PAGE_VARIABLE) if os.environ.get(name, "").strip()]
    if app.as_json:
        app.output.json({"url": url, "page": page_slug, "config_path": str(path),
                         "pages": [{"slug": page["slug"], "role": page["role"]}
                                   for page in pages],
                         "overridden_by": overridden})
        return
    reached = ", ".join(f"{page['slug']} ({page['role']})" for page in pages) or "no page"
    app.output.line(f"Logged in to {url}. The token reaches: {reached}.")
    if page_slug:
        app.output.line(f"Default page: {page_slug}.")
    elif len(pages) > 1:
        app.output.line("No default page: give --page SLUG to each command, or run "
                        "`heliograph login --page SLUG`.")
    app.output.line(f"Saved to {path} (readable by you only).")
    for name in overridden:
        app.output.note(f"Note: {name} is set in the environment and overrides the saved "
                        "value.")


@click.command()
@json_option
@pass_app
def logout(app: App) -> None:
    """Delete the saved URL and token (the config file)."""
    path = config.config_path()
    existed = config.remove_file(path)
    if app.as_json:
        app.output.json({"config_path": str(path), "removed": existed})
    elif existed:
        app.output.line(f"Removed {path}.")
    else:
        app.output.line(f"Not logged in: {path} does not exist.")
