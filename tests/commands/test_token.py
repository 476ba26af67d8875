"""Tests of `heliograph-admin token create|list|revoke`."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken, hash_token
from heliograph.domain.models import Page


def run_token(*args: str) -> tuple[str, str]:
    output, errors = StringIO(), StringIO()
    call_command("token", *args, stdout=output, stderr=errors)
    return output.getvalue(), errors.getvalue()


def test_token_create_prints_token_matching_stored_hash(page: Page, owner: User) -> None:
    output, notice = run_token("create", "--email", owner.email, "--page", page.slug)

    raw = output.strip()
    token = ApiToken.objects.get()
    assert output.count("\n") == 1
    assert raw.startswith("hg_")
    assert token.token_hash == hash_token(raw)
    assert token.user == owner
    assert list(token.pages.all()) == [page]
    assert token.can_write is False
    assert token.hint in notice
    assert "read only" in notice


def test_token_create_write_and_several_pages(make_page: Callable[..., Page],
                                              owner: User) -> None:
    first, second = make_page("acme"), make_page("beta")

    run_token("create", "--email", owner.email, "--page", "acme", "--page", "beta", "--write",
              "--name", "deploy bot")

    token = ApiToken.objects.get()
    assert token.can_write is True
    assert token.name == "deploy bot"
    assert set(token.pages.all()) == {first, second}


def test_token_create_prints_each_token_once(page: Page, owner: User) -> None:
    first, _ = run_token("create", "--email", owner.email, "--page", page.slug)
    second, _ = run_token("create", "--email", owner.email, "--page", page.slug)

    assert first != second
    assert ApiToken.objects.count() == 2
    assert not ApiToken.objects.filter(token_hash=first.strip()).exists()


@pytest.mark.parametrize(
    ("email", "slug", "option", "fragment"),
    [
        ("nobody@example.com", "acme", "--email", "no user"),
        ("owner@example.com", "missing", "--page", "no page"),
        ("outsider@example.com", "acme", "--page", "no role"),
    ],
)
def test_token_create_rejects_bad_reference(page: Page, outsider: User, email: str, slug: str,
                                            option: str, fragment: str) -> None:
    with pytest.raises(CommandError) as raised:
        run_token("create", "--email", email, "--page", slug)

    assert str(raised.value).startswith(f"{option}: ")
    assert fragment in str(raised.value)
    assert not ApiToken.objects.exists()


def test_token_create_write_rejected_for_viewer(page: Page, viewer: User) -> None:
    with pytest.raises(CommandError) as raised:
        run_token("create", "--email", viewer.email, "--page", page.slug, "--write")

    assert str(raised.value).startswith("--write: ")
    assert not ApiToken.objects.exists()


def test_token_create_read_allowed_for_viewer(page: Page, viewer: User) -> None:
    run_token("create", "--email", viewer.email, "--page", page.slug)

    assert ApiToken.objects.get().user == viewer


def test_token_list_shows_hint_pages_and_state(page: Page, owner: User) -> None:
    run_token("create", "--email", owner.email, "--page", page.slug, "--write")
    token = ApiToken.objects.get()

    output, _ = run_token("list")

    fields = output.strip().split("\t")
    assert fields[:4] == [f"{token.hint}…", owner.email, page.slug, "write"]
    assert "last used never" in fields
    assert "active" in fields


def test_token_list_filters_by_user(page: Page, owner: User, editor: User) -> None:
    run_token("create", "--email", owner.email, "--page", page.slug)
    run_token("create", "--email", editor.email, "--page", page.slug)

    output, _ = run_token("list", "--email", editor.email)

    assert len(output.strip().splitlines()) == 1
    assert editor.email in output


def test_token_revoke_by_hint(page: Page, owner: User) -> None:
    run_token("create", "--email", owner.email, "--page", page.slug)
    token = ApiToken.objects.get()

    output, _ = run_token("revoke", f"{token.hint}…")

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked token" in output
    assert "revoked" in run_token("list")[0]


def test_token_revoke_by_whole_token(page: Page, owner: User) -> None:
    raw, _ = run_token("create", "--email", owner.email, "--page", page.slug)

    run_token("revoke", raw.strip())

    assert ApiToken.objects.get().revoked_at is not None


def test_token_revoke_twice_keeps_first_time(page: Page, owner: User) -> None:
    run_token("create", "--email", owner.email, "--page", page.slug)
    token = ApiToken.objects.get()
    run_token("revoke", token.hint)
    token.refresh_from_db()
    first_time = token.revoked_at

    output, _ = run_token("revoke", token.hint)

    token.refresh_from_db()
    assert token.revoked_at == first_time
    assert "already revoked" in output


def test_token_revoke_unknown_hint_names_argument(db: None) -> None:
    with pytest.raises(CommandError) as raised:
        run_token("revoke", "hg_nothing")

    assert str(raised.value).startswith("HINT: ")
