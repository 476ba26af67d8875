"""Helpers shared by the management commands of `heliograph-admin`.

Modules whose names start with an underscore are not commands: Django skips them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from heliograph.domain.audit import Actor
from heliograph.domain.errors import DomainError
from heliograph.domain.models import Page

# The actor recorded in the audit log for changes made from the command line.
COMMAND_LINE_ACTOR = Actor.system("heliograph-admin")


def option_error(error: DomainError, options: Mapping[str, str]) -> CommandError:
    """Turn a domain error into a one-line error that names the command-line option at fault.

    `options` maps the domain's field names to the command's option names, such as
    {"time_zone": "--time-zone"}; a field with no option keeps the domain's message alone.
    """
    option = options.get(error.field or "")
    return CommandError(f"{option}: {error.message}" if option else error.message)


def find_user(email: str, *, option: str) -> Any:
    user = get_user_model().objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(
            f"{option}: no user has the e-mail address {email!r}. Create one with "
            f"`heliograph-admin createuser --email {email.strip()}`."
        )
    return user


def find_page(slug: str, *, option: str) -> Page:
    page = Page.objects.filter(slug=slug.strip().lower()).first()
    if page is None:
        raise CommandError(
            f"{option}: no page has the slug {slug!r}. List the pages with "
            "`heliograph-admin page list`."
        )
    return page
