"""`heliograph-admin page create|list`: create status pages and list them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from heliograph.domain import pages
from heliograph.domain.errors import DomainError
from heliograph.domain.management.commands._common import (
    COMMAND_LINE_ACTOR,
    find_user,
    option_error,
)
from heliograph.domain.models import Page, Role

# Domain field names and the options of `page create` that carry them.
CREATE_OPTIONS = {"slug": "SLUG", "title": "--title", "time_zone": "--time-zone"}


class Command(BaseCommand):
    help = "Create a status page owned by an existing user, or list the pages."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list}")
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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self.create(options)
        else:
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

