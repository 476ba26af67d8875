"""Tests of `heliograph-admin page create|list`."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from heliograph.accounts.models import User
from heliograph.domain.models import AuditEntry, Membership, Page, Role
from tests.commands.conftest import Run


def run_page(*args: str) -> str:
    output = StringIO()
    call_command("page", *args, stdout=output)
    return output.getvalue()


def test_page_create_makes_owner_and_records_audit(owner: User) -> None:
    output = run_page("create", "acme", "--title", "Acme Status", "--owner", "OWNER@example.com",
                      "--time-zone", "Europe/Zurich")

    page = Page.objects.get(slug="acme")
    assert page.title == "Acme Status"
    assert page.time_zone == "Europe/Zurich"
    assert Membership.objects.get(page=page).user == owner
    assert Membership.objects.get(page=page).role == Role.OWNER
    assert AuditEntry.objects.filter(page=page, action="page.create").count() == 1
    assert AuditEntry.objects.get(page=page).actor_label == "heliograph-admin"
    assert "Created page 'acme'" in output


def test_page_create_defaults_to_utc(owner: User) -> None:
    run_page("create", "acme", "--title", "Acme", "--owner", owner.email)

    assert Page.objects.get(slug="acme").time_zone == "UTC"


def test_page_create_unknown_owner_names_option(db: None) -> None:
    with pytest.raises(CommandError) as raised:
        run_page("create", "acme", "--title", "Acme", "--owner", "nobody@example.com")

    assert str(raised.value).startswith("--owner: ")
    assert "nobody@example.com" in str(raised.value)
    assert not Page.objects.exists()


def test_page_create_taken_slug_keeps_existing(make_page: Callable[..., Page],
                                               owner: User) -> None:
    make_page("acme", title="Original")

    with pytest.raises(CommandError) as raised:
        run_page("create", "acme", "--title", "Copy", "--owner", owner.email)

    assert str(raised.value).startswith("SLUG: ")
    assert "already taken" in str(raised.value)
    assert Page.objects.get(slug="acme").title == "Original"


@pytest.mark.parametrize(
    ("arguments", "option", "fragment"),
    [
        (["Not A Slug", "--title", "Acme"], "SLUG", "not a valid slug"),
        (["www", "--title", "Acme"], "SLUG", "reserved"),
        (["acme", "--title", "   "], "--title", "title"),
        (["acme", "--title", "Acme", "--time-zone", "Mars/Olympus"], "--time-zone", "Mars"),
    ],
)
def test_page_create_invalid_value_names_option(owner: User, arguments: list[str], option: str,
                                                fragment: str) -> None:
    with pytest.raises(CommandError) as raised:
        run_page("create", *arguments, "--owner", owner.email)

    assert str(raised.value).startswith(f"{option}: ")
    assert fragment in str(raised.value)
    assert not Page.objects.exists()


def test_page_list_shows_slugs_and_owners(make_page: Callable[..., Page],
                                          outsider: User) -> None:
    make_page("acme", title="Acme", time_zone="Asia/Tokyo")

    lines = run_page("list").splitlines()

    assert lines == [
        "acme\tAcme\tAsia/Tokyo\towners: owner@example.com",
        "other\tOther\tUTC\towners: outsider@example.com",
    ]


def test_page_list_empty_says_how_to_create(db: None) -> None:
    assert "heliograph-admin page create" in run_page("list")


def test_page_command_line_error_has_no_traceback(admin: Run) -> None:
    result = admin("page", "create", "acme", "--title", "Acme", "--owner", "nobody@example.com")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "CommandError: --owner: no user has the e-mail address 'nobody@example.com'. Create one "
        "with `heliograph-admin createuser --email nobody@example.com`."
    ]


def test_page_command_line_create_then_list(admin: Run) -> None:
    created_user = admin("createuser", "--email", "ops@example.com", "--password-stdin",
                         input="a long enough passphrase\n")
    created_page = admin("page", "create", "acme", "--title", "Acme", "--owner",
                         "ops@example.com")
    listed = admin("page", "list")

    assert created_user.returncode == 0, created_user.stderr
    assert created_page.returncode == 0, created_page.stderr
    assert listed.stdout.splitlines() == ["acme\tAcme\tUTC\towners: ops@example.com"]


def test_page_without_action_shows_usage(admin: Run) -> None:
    result = admin("page")

    assert result.returncode == 2
    assert "{create,list,dump,load}" in result.stderr
    assert "Traceback" not in result.stderr
