"""`heliograph-admin credentials create|list|revoke`: key and secret pairs for the Runstatus API."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from heliograph.domain.errors import InvalidValue
from heliograph.domain.management.commands._common import find_page, find_user
from heliograph.domain.models import Membership, Page, Role
from heliograph.domain.validation import check_label
from heliograph.runstatus.models import Credential


class Command(BaseCommand):
    help = "Create, list and revoke key and secret pairs for the Runstatus-compatible API."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True,
                                        metavar="{create,list,revoke}")
        create = actions.add_parser(
            "create", help="create a key and secret and print them once",
            description="Create a key and secret for a user and print them on standard "
                        "output, on lines starting 'key:' and 'secret:'. The pair manages the "
                        "user's pages where they are an editor or owner, or only the pages "
                        "given with --page. The secret cannot be shown again.",
        )
        create.add_argument("--email", required=True, help="e-mail address of the pair's user")
        create.add_argument("--page", action="append", metavar="SLUG", dest="pages",
                            help="restrict the pair to this page (repeatable); without it, "
                                 "all the user's pages, including those it creates")
        create.add_argument("--name", default="", help="a label shown in `credentials list`")

        listing = actions.add_parser("list", help="list the keys",
                                     description="List the keys, newest first.")
        listing.add_argument("--email", help="only the keys of this user")

        revoke = actions.add_parser("revoke", help="revoke a key",
                                    description="Revoke a key so that requests signed with "
                                                "it are rejected.")
        revoke.add_argument("key", metavar="KEY", help="the key, as `credentials list` shows it")

    def handle(self, *args: Any, **options: Any) -> None:
        match options["action"]:
            case "create":
                self.create(options)
            case "list":
                self.list_credentials(options.get("email"))
            case "revoke":
                self.revoke(options["key"])

    def create(self, options: dict[str, Any]) -> None:
        user = find_user(options["email"], option="--email")
        chosen = None
        if options["pages"]:
            chosen = [find_page(slug, option="--page") for slug in options["pages"]]
            for page in chosen:
                self.check_role(user, page)
        try:
            name = check_label(options["name"])
        except InvalidValue as error:
            raise CommandError(f"--name: {error.message}") from None

        with transaction.atomic():
            credential, secret = Credential.issue(user, chosen, name=name)
        scope = ", ".join(page.slug for page in chosen) if chosen else (
            "all pages where they are an editor or owner")
        self.stdout.write(f"key: {credential.key}")
        self.stdout.write(f"secret: {secret}")
        self.stderr.write(
            f"Created the Runstatus key {credential.key} for {user.email} on {scope}. The "
            "secret is shown only this once: store it now.",
            style_func=str,
        )

    def check_role(self, user: Any, page: Page) -> None:
        role = Membership.objects.filter(page=page, user=user).values_list(
            "role", flat=True).first()
        if role is None:
            raise CommandError(
                f"--page: {user.email} has no role on the page {page.slug!r}, so a key for it "
                "would grant nothing. Add them to the page first."
            )
        if role == Role.VIEWER:
            raise CommandError(
                f"--page: {user.email} is a viewer of the page {page.slug!r}, and Runstatus "
                "keys change pages. Give them the editor role first."
            )

    def list_credentials(self, email: str | None) -> None:
        credentials = Credential.objects.select_related("user").prefetch_related("pages")
        if email:
            credentials = credentials.filter(user=find_user(email, option="--email"))
        credentials = credentials.order_by("-created_at", "-id")
        if not credentials:
            self.stdout.write("No Runstatus keys: create one with "
                              "`heliograph-admin credentials create`.")
            return
        for credential in credentials:
            scope = "all" if credential.all_pages else ",".join(
                sorted(page.slug for page in credential.pages.all())) or "(none left)"
            used = (credential.last_used_at.isoformat(timespec="seconds")
                    if credential.last_used_at else "never")
            state = (f"revoked {credential.revoked_at.isoformat(timespec='seconds')}"
                     if credential.revoked_at else "active")
            self.stdout.write(
                f"{credential.key}\t{credential.user.email}\tpages {scope}\t"
                f"created {credential.created_at.isoformat(timespec='seconds')}\t"
                f"last used {used}\t{state}\t{credential.name}".rstrip()
            )

    def revoke(self, key: str) -> None:
        with transaction.atomic():
            credential = (Credential.objects.select_for_update().select_related("user")
                          .filter(key=key.strip()).first())
            if credential is None:
                raise CommandError(f"KEY: no Runstatus key is {key!r}. List the keys with "
                                   "`heliograph-admin credentials list`.")
            if credential.revoked_at is not None:
                self.stdout.write(f"The key {credential.key} was already revoked on "
                                  f"{credential.revoked_at.isoformat(timespec='seconds')}.")
                return
            credential.revoked_at = timezone.now()
            credential.save(update_fields=["revoked_at"])
        self.stdout.write(f"Revoked the key {credential.key} of {credential.user.email}.")
