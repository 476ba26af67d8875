"""The state one command run shares: settings, the API client, the chosen page, the output."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from heliograph.client import config
from heliograph.client.api import Api
from heliograph.client.errors import AuthProblem, InvalidInput, NotFound
from heliograph.client.output import Output
from heliograph.client.times import display_zone

F = TypeVar("F", bound=Callable[..., Any])

# The default --limit of the list commands.
LIST_LIMIT = 50
# The form of a page slug: a DNS label of lower-case letters, digits and hyphens.
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def check_slug(raw: str, *, source: str) -> str:
    slug = raw.strip()
    if not _SLUG.fullmatch(slug):
        raise InvalidInput(f"{source}: {raw!r} is not a page slug: give the slug that "
                           "`heliograph page list` shows, such as acme.")
    return slug


class App:
    def __init__(self) -> None:
        self.page_option: str | None = None
        self.as_json = False
        self._settings: config.Settings | None = None
        self._api: Api | None = None
        self._pages: dict[str, dict[str, Any]] = {}
        self._output: Output | None = None

    @property
    def settings(self) -> config.Settings:
        if self._settings is None:
            self._settings = config.load()
        return self._settings

    @property
    def output(self) -> Output:
        if self._output is None:
            self._output = Output(as_json=self.as_json)
        return self._output

    def api(self) -> Api:
        """Return the API client; fail with the fix when no URL or token is configured."""
        if self._api is None:
            settings = self.settings
            missing = [config.VARIABLES[key] for key in ("url", "token")
                       if not getattr(settings, key)]
            if missing:
                raise AuthProblem(
                    f"Not logged in: no {' or '.join(missing)} is set and {settings.path} "
                    "does not provide it. Run `heliograph login`, or set HELIOGRAPH_URL and "
                    "HELIOGRAPH_TOKEN.")
            assert settings.url is not None and settings.token is not None
            self._api = Api(settings.url, settings.token)
        return self._api

    def close(self) -> None:
        if self._api is not None:
            self._api.close()

    def slug(self) -> str:
        """Return the page to act on: --page, HELIOGRAPH_PAGE, the saved page, or the only one.

        A token that reaches several pages, with none chosen, is a usage error that lists
        them.
        """
        chosen = self.page_option or self.settings.page
        if chosen:
            slug = check_slug(chosen, source="--page" if self.page_option else
                              self.settings.sources.get("page", "page"))
            saved = str(self.settings.path)
            sources = self.settings.sources
            if not self.page_option and (
                    (sources.get("page") == saved) != (sources.get("token") == saved)):
                # A page and a token from different places, one from the config file and one
                # from the environment, may not go together: fetching the page names where it
                # came from if the token cannot see it.
                self.page(slug)
            return slug
        pages = list(self.api().walk("/pages", what="the token's pages", noun="pages"))
        if len(pages) == 1:
            page = pages[0]
            self._pages[page["slug"]] = page
            return str(page["slug"])
        if not pages:
            raise AuthProblem("This token reaches no page: ask an owner of the page for a token "
                              "that includes it, or create a page with the console.")
        slugs = ", ".join(page["slug"] for page in pages)
        raise InvalidInput(f"This token reaches {len(pages)} pages ({slugs}): choose one with "
                           "--page SLUG, the HELIOGRAPH_PAGE variable, or `heliograph login "
                           "--page SLUG`.")

    def page(self, slug: str | None = None) -> dict[str, Any]:
        """Return the page's settings, fetched once per run."""
        slug = slug or self.slug()
        if slug not in self._pages:
            try:
                self._pages[slug] = self.api().get(f"/pages/{slug}", what=f"page {slug!r}")
            except NotFound as error:
                source = self.settings.sources.get("page")
                if self.page_option or slug != self.settings.page or source is None:
                    raise
                raise NotFound(f"{error} The page {slug!r} is set in {source}: choose another "
                               "with --page SLUG or HELIOGRAPH_PAGE.") from None
        return self._pages[slug]

    def zone(self, slug: str) -> tuple[dt.tzinfo, str]:
        """Return the page's time zone for display, and its name."""
        return display_zone(self.page(slug)["time_zone"])

    def list_items(self, slug: str, noun: str, *, status: str, title_prefix: str | None,
                   limit: int | None) -> list[dict[str, Any]]:
        """Return the page's `noun` ("incidents" or "maintenances") in the API's order,
        walking its pages; `limit` None returns all of them."""
        params: dict[str, Any] = {"status": status}
        if title_prefix:
            params["title_prefix"] = title_prefix
        return list(self.api().walk(f"/pages/{slug}/{noun}", what=f"page {slug!r}", noun=noun,
                                    params=params, limit=limit, progress=self.output.progress))

    def confirm(self, question: str, *, yes: bool) -> None:
        """Ask before a change when a person is at the terminal and --yes was not given."""
        if yes or not sys.stdin.isatty():
            return
        click.confirm(question, default=True, abort=True, err=True)


pass_app = click.make_pass_decorator(App, ensure=True)


def _set_page(context: click.Context, parameter: click.Parameter, value: str | None) -> None:
    if value is not None:
        context.ensure_object(App).page_option = value


def _set_json(context: click.Context, parameter: click.Parameter, value: bool) -> None:
    if value:
        context.ensure_object(App).as_json = True


def page_option(function: F) -> F:
    return click.option(
        "--page", "-p", metavar="SLUG", expose_value=False, callback=_set_page,
        help="The page to act on (default: HELIOGRAPH_PAGE, the page saved by `heliograph "
             "login`, or the token's only page).",
    )(function)


def json_option(function: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, expose_value=False, callback=_set_json,
        is_eager=True, help="Print the result as JSON, for scripts.",
    )(function)


def list_options(order: str) -> Callable[[F], F]:
    """Add the --title, --limit and --all options of a list command sorted in `order`."""

    def decorate(function: F) -> F:
        function = click.option("--all", "every", is_flag=True,
                                help="Show all of them, however many.")(function)
        function = click.option("--limit", type=click.IntRange(min=1), default=LIST_LIMIT,
                                show_default=True,
                                help=f"Show at most this many, {order}.")(function)
        return click.option("--title", "title_prefix", metavar="TEXT",
                            help="Only those whose title starts with TEXT, ignoring case.")(
                                function)

    return decorate


def is_terminal_input() -> bool:
    return sys.stdin.isatty()
