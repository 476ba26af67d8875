"""`heliograph-admin token create|list|revoke`: bearer tokens for the management API."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from heliograph.api.models import ApiToken, hash_token
from heliograph.domain.errors import InvalidValue
from heliograph.domain.management.commands._common import find_page, find_user
from heliograph.domain.models import Membership, Page, Role
from heliograph.domain.validation import check_label


class Command(BaseCommand):
    help = "Create, list and revoke bearer tokens for the management API."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True,
                                        metavar="{create,list,revoke}")
        create = actions.add_parser(
            "create", help="create a token and print it once",
            description="Create a token for a user, limited to some of their pages, and print "
                        "it on standard output. Only its hash is stored.",
        )
        create.add_argument("--email", required=True, help="e-mail address of the token's user")
        create.add_argument("--page", required=True, action="append", metavar="SLUG",
                            dest="pages", help="a page the token may act on (repeatable)")
        create.add_argument("--write", action="store_true",
                            help="allow changes, not only reads (needs the editor or owner role)")
        create.add_argument("--name", default="", help="a label shown in `token list`")

        listing = actions.add_parser("list", help="list the tokens",
                                     description="List the tokens, newest first.")
        listing.add_argument("--email", help="only the tokens of this user")

        revoke = actions.add_parser("revoke", help="revoke a token",
                                    description="Revoke a token so that it no longer "
                                                "authenticates.")
        revoke.add_argument("hint", metavar="HINT",
                            help="the token's hint as `token list` shows it, or the whole token")

    def handle(self, *args: Any, **options: Any) -> None:
        match options["action"]:
            case "create":
                self.create(options)
            case "list":
                self.list_tokens(options.get("email"))
            case "revoke":
                self.revoke(options["hint"])

    def create(self, options: dict[str, Any]) -> None:
        user = find_user(options["email"], option="--email")
        chosen = [find_page(slug, option="--page") for slug in options["pages"]]
        for page in chosen:
            self.check_role(user, page, write=options["write"])
        try:
            name = check_label(options["name"])
        except InvalidValue as error:
            raise CommandError(f"--name: {error.message}") from None

        with transaction.atomic():
            token, raw = ApiToken.issue(user, chosen, can_write=options["write"], name=name)
        access = "read and write" if token.can_write else "read only"
        slugs = ", ".join(page.slug for page in chosen)
        # The token alone goes to standard output so that scripts can capture it.
        self.stdout.write(raw)
        self.stderr.write(
            f"Created token {token.hint}… for {user.email} on {slugs} ({access}). It is shown "
            "only this once: store it now.",
            style_func=str,
        )

    def check_role(self, user: Any, page: Page, *, write: bool) -> None:
        membership = Membership.objects.filter(page=page, user=user).first()
        if membership is None:
            raise CommandError(
                f"--page: {user.email} has no role on the page {page.slug!r}, so a token for it "
                "would grant nothing. Add them to the page first."
            )
        if write and membership.role == Role.VIEWER:
            raise CommandError(
                f"--write: {user.email} is a viewer of the page {page.slug!r} and cannot make "
                "changes there. Give them the editor role, or leave out --write."
            )

    def list_tokens(self, email: str | None) -> None:
        tokens = ApiToken.objects.select_related("user").prefetch_related("pages")
        if email:
            tokens = tokens.filter(user=find_user(email, option="--email"))
        tokens = tokens.order_by("-created_at", "-id")
        if not tokens:
            self.stdout.write("No tokens.")
            return
        for token in tokens:
            slugs = ",".join(sorted(page.slug for page in token.pages.all()))
            access = "write" if token.can_write else "read"
            used = (token.last_used_at.isoformat(timespec="seconds")
                    if token.last_used_at else "never")
            state = (f"revoked {token.revoked_at.isoformat(timespec='seconds')}"
                     if token.revoked_at else "active")
            self.stdout.write(
                f"{token.hint}…\t{token.user.email}\t{slugs}\t{access}\t"
                f"created {token.created_at.isoformat(timespec='seconds')}\tlast used {used}\t"
                f"{state}\t{token.name}".rstrip()
            )

    def revoke(self, hint: str) -> None:
        cleaned = hint.strip().rstrip("…")
        with transaction.atomic():
            matches = list(
                ApiToken.objects.select_for_update()
                .select_related("user")
                .filter(Q(hint=cleaned) | Q(token_hash=hash_token(cleaned)))
            )
            if not matches:
                raise CommandError(f"HINT: no token matches {hint!r}. List the tokens with "
                                   "`heliograph-admin token list`.")
            if len(matches) > 1:
                raise CommandError(f"HINT: {len(matches)} tokens share the hint {hint!r}. Give "
                                   "the whole token instead.")
            token = matches[0]
            if token.revoked_at is not None:
                self.stdout.write(f"Token {token.hint}… was already revoked on "
                                  f"{token.revoked_at.isoformat(timespec='seconds')}.")
                return
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
        self.stdout.write(f"Revoked token {token.hint}… of {token.user.email}.")
