"""`heliograph-admin credentials create|list|revoke`, in process and as the operator runs it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from heliograph.accounts.models import User
from heliograph.domain.models import Page
from heliograph.runstatus.models import Credential
from tests.commands.conftest import ADMIN, admin_environment
from tests.runstatus.support import RunstatusClient

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    output, errors = StringIO(), StringIO()
    call_command("credentials", *args, stdout=output, stderr=errors)
    return output.getvalue(), errors.getvalue()


def pair_in(output: str) -> tuple[str, str]:
    key = re.search(r"^key: (\S+)$", output, re.M)
    secret = re.search(r"^secret: (\S+)$", output, re.M)
    assert key is not None and secret is not None, output
    return key.group(1), secret.group(1)


def test_create_prints_working_pair(page: Page, owner: User) -> None:
    output, notice = run("create", "--email", owner.email)

    key, secret = pair_in(output)
    assert output.count("\n") == 2
    credential = Credential.objects.get()
    assert credential.key == key
    assert credential.secret() == secret
    assert credential.all_pages is True
    assert secret not in credential.sealed_secret
    assert secret not in notice
    assert "shown only this once" in notice
    assert RunstatusClient(key, secret).get("/pages/acme").status_code == 200


def test_create_restricted_to_pages(make_page: Callable[..., Page], owner: User) -> None:
    make_page("acme")
    make_page("beta")

    output, _ = run("create", "--email", owner.email, "--page", "beta", "--name", "alerts")

    key, secret = pair_in(output)
    credential = Credential.objects.get()
    assert credential.all_pages is False
    assert credential.name == "alerts"
    assert list(credential.pages.values_list("slug", flat=True)) == ["beta"]
    client = RunstatusClient(key, secret)
    assert client.get("/pages/beta").status_code == 200
    assert client.get("/pages/acme").status_code == 403


@pytest.mark.parametrize(("email", "slug", "option", "fragment"), [
    ("nobody@example.com", "acme", "--email", "no user"),
    ("owner@example.com", "missing", "--page", "no page"),
    ("outsider@example.com", "acme", "--page", "no role"),
    ("viewer@example.com", "acme", "--page", "viewer"),
])
def test_create_rejects_bad_reference(page: Page, outsider: User, viewer: User, email: str,
                                      slug: str, option: str, fragment: str) -> None:
    with pytest.raises(CommandError) as raised:
        run("create", "--email", email, "--page", slug)

    assert str(raised.value).startswith(f"{option}: ")
    assert fragment in str(raised.value)
    assert not Credential.objects.exists()


def test_create_rejects_long_name(page: Page, owner: User) -> None:
    with pytest.raises(CommandError, match="--name"):
        run("create", "--email", owner.email, "--name", "x" * 101)


def test_list_shows_keys_not_secrets(make_page: Callable[..., Page], owner: User,
                                     editor: User) -> None:
    make_page("beta")
    first, _ = run("create", "--email", owner.email, "--name", "everything")
    second, _ = run("create", "--email", editor.email, "--page", "acme")

    listing, _ = run("list")

    lines = listing.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(pair_in(second)[0])
    assert "pages acme" in lines[0]
    assert "last used never" in lines[0]
    assert "pages all" in lines[1]
    assert lines[1].endswith("everything")
    assert pair_in(first)[1] not in listing
    assert pair_in(second)[1] not in listing


def test_list_filters_by_email(page: Page, owner: User, editor: User) -> None:
    run("create", "--email", owner.email)
    run("create", "--email", editor.email)

    listing, _ = run("list", "--email", editor.email)

    assert listing.count("\n") == 1
    assert "editor@example.com" in listing


def test_list_empty(db: None) -> None:
    listing, _ = run("list")

    assert "No Runstatus keys" in listing


def test_revoke_stops_requests(page: Page, owner: User) -> None:
    key, secret = pair_in(run("create", "--email", owner.email)[0])

    output, _ = run("revoke", key)
    again, _ = run("revoke", key)

    assert f"Revoked the key {key}" in output
    assert "already revoked" in again
    assert RunstatusClient(key, secret).get("/pages/acme").status_code == 403
    assert "revoked" in run("list")[0]


def test_revoke_unknown_key(db: None) -> None:
    with pytest.raises(CommandError, match="KEY: no Runstatus key is 'hgrs_nope'"):
        run("revoke", "hgrs_nope")


def test_operator_runs_create_and_revoke(tmp_path: Path) -> None:
    """The real `heliograph-admin` process, on a fresh SQLite data directory."""
    environment = admin_environment(tmp_path)

    def admin(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(ADMIN), *args], env=environment, capture_output=True,
                              text=True, input=stdin, timeout=120, check=False)

    assert admin("migrate", "--verbosity", "0").returncode == 0
    assert admin("createuser", "--email", "ops@example.com", "--password-stdin",
                 stdin="a long passphrase 42\n").returncode == 0
    assert admin("page", "create", "ops", "--title", "Ops",
                 "--owner", "ops@example.com").returncode == 0

    created = admin("credentials", "create", "--email", "ops@example.com", "--page", "ops")
    missing = admin("credentials", "create", "--email", "ops@example.com", "--page", "nope")
    key, _ = pair_in(created.stdout)
    revoked = admin("credentials", "revoke", key)
    listing = admin("credentials", "list")

    assert created.returncode == 0, created.stderr
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "CommandError: --page: no page has the slug 'nope'. List the pages with "
        "`heliograph-admin page list`."]
    assert revoked.returncode == 0
    assert "revoked" in listing.stdout
