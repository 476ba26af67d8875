"""`heliograph-admin page create|list|dump|load`: create, list, export and import status pages."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heliograph.domain import pages, portability
from heliograph.domain.errors import DomainError
from heliograph.domain.management.commands._common import (
    COMMAND_LINE_ACTOR,
    find_page,
    find_user,
    option_error,
)
from heliograph.domain.models import Page, Role

# Domain field names and the options of `page create` that carry them.
CREATE_OPTIONS = {"slug": "SLUG", "title": "--title", "time_zone": "--time-zone"}


class Command(BaseCommand):
    help = ("Create a status page owned by an existing user, list the pages, or write a page "
            "to a JSON document and load one into this installation.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True,
                                        metavar="{create,list,dump,load}")
        create = actions.add_parser(
            "create", help="create a page owned by an existing user",
            description="Create a page owned by an existing user.",
        )
        create.add_argument("slug", metavar="SLUG",
                            help="the page's address name: lower-case letters, digits, hyphens")
        create.add_argument("--title", required=True, help="the title shown on the page")
        create.add_argument("--owner", required=True, metavar="EMAIL",
                            help="e-mail address of the user who owns the page")
        create.add_argument("--time-zone", default="UTC", metavar="ZONE",
                            help="IANA time zone the page shows times in (default: UTC)")
        actions.add_parser("list", help="list the pages and their owners",
                           description="List the pages and their owners.")
        dump = actions.add_parser(
            "dump", help="write all of a page's data as one JSON document",
            description="Write all of a page's data as one JSON document. It contains "
                        "subscribers' addresses and webhook secrets: keep it private. Tokens of "
                        "linked social accounts are left out.",
        )
        dump.add_argument("slug", metavar="SLUG", help="slug of the page to write")
        dump.add_argument("--output", metavar="FILE",
                          help="file to write (default: standard output)")
        load = actions.add_parser(
            "load", help="create a page from a document written by `page dump`",
            description="Create a page from a document written by `page dump`, in one "
                        "transaction. Members are matched to users by e-mail address.",
        )
        load.add_argument("file", metavar="FILE", help="the JSON document, or - for standard "
                          "input")
        load.add_argument("--slug", metavar="SLUG",
                          help="slug of the new page (default: the document's)")
        load.add_argument("--owner", metavar="EMAIL",
                          help="e-mail address of an existing user who becomes an owner; "
                               "needed when none of the document's owners has an account here")

    def handle(self, *args: Any, **options: Any) -> None:
        match options["action"]:
            case "create":
                self.create(options)
            case "dump":
                self.dump(options)
            case "load":
                self.load(options)
            case _:
                self.list_pages()

    def create(self, options: dict[str, Any]) -> None:
        owner = find_user(options["owner"], option="--owner")
        try:
            page = pages.create_page(
                options["slug"], title=options["title"], owner=owner,
                time_zone=options["time_zone"], actor=COMMAND_LINE_ACTOR,
            )
        except DomainError as error:
            raise option_error(error, CREATE_OPTIONS) from None
        self.stdout.write(
            f"Created page {page.slug!r} ({page.title}), owned by {owner.email}, "
            f"showing times in {page.time_zone}."
        )

    def list_pages(self) -> None:
        listed = Page.objects.order_by("slug").prefetch_related("memberships__user")
        if not listed:
            self.stdout.write("No pages yet: create one with `heliograph-admin page create`.")
            return
        for page in listed:
            owners = sorted(
                membership.user.email
                for membership in page.memberships.all()
                if membership.role == Role.OWNER
            )
            self.stdout.write(
                f"{page.slug}\t{page.title}\t{page.time_zone}\towners: {', '.join(owners)}"
            )


    def dump(self, options: dict[str, Any]) -> None:
        page = find_page(options["slug"], option="SLUG")
        text = json.dumps(portability.dump_page(page), indent=2, ensure_ascii=False) + "\n"
        if options["output"] is None:
            self.stdout.write(text, ending="")
            return
        target = Path(options["output"])
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"--output: cannot write {target} ({error.strerror}).") from None
        self.stderr.write(f"Wrote page {page.slug!r} to {target}.")

    def load(self, options: dict[str, Any]) -> None:
        document = _read_document(options["file"])
        owner = find_user(options["owner"], option="--owner") if options["owner"] else None
        try:
            loaded = portability.load_page(document, slug=options["slug"], owner=owner,
                                           actor=COMMAND_LINE_ACTOR)
        except DomainError as error:
            if error.field == "page.slug" and options["slug"] is not None:
                raise CommandError(f"--slug: {error.message}") from None
            if error.field == "owner":
                raise CommandError(f"--owner: {error.message}") from None
            raise CommandError(f"FILE: {_located(error)}") from None
        counts = ", ".join(f"{count} {name.replace('_', ' ')}"
                           for name, count in loaded.counts.items())
        self.stdout.write(f"Loaded page {loaded.page.slug!r} ({loaded.page.title}): {counts}.")
        if loaded.missing_members:
            self.stdout.write("Not added, no account here: " + ", ".join(loaded.missing_members)
                              + ". Invite them from the console.")
        if loaded.unlinked_accounts:
            self.stdout.write("Link the social accounts again in the console: "
                              + ", ".join(loaded.unlinked_accounts) + ".")
        if loaded.new_tokens:
            self.stdout.write(f"{loaded.new_tokens} subscribers got new link tokens because "
                              "theirs were in use here: links in earlier e-mails no longer work "
                              "for them.")


def _located(error: DomainError) -> str:
    """Return the error's message, led by the path of the bad value unless it names it."""
    if error.field and not error.message.startswith(error.field):
        return f"{error.field}: {error.message}"
    return error.message


def _read_document(name: str) -> Any:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"FILE: cannot read {name} ({error.strerror}).") from None
    except UnicodeDecodeError:
        raise CommandError(f"FILE: {name} is not UTF-8 text.") from None
    shown = "standard input" if name == "-" else name
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"FILE: {shown} is not valid JSON: {error.msg} at line "
                           f"{error.lineno}, column {error.colno}.") from None
    except RecursionError:
        # Python's JSON parser recurses once per nested array or object.
        raise CommandError(f"FILE: {shown} is nested too deeply to be a page dump: check "
                           "that it was written by `heliograph-admin page dump`.") from None
