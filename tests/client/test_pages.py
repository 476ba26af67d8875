"""`heliograph page list|show`, and how the page to act on is chosen."""

from __future__ import annotations

import pytest

from heliograph.client.errors import ExitCode

pytestmark = pytest.mark.django_db(transaction=True)


def test_page_list_table(cli):
    result = cli("page", "list")

    assert result.code == 0, result.stderr
    assert "acme" in result.stdout
    assert "owner" in result.stdout
    assert "http://acme.localhost:8000/" in result.stdout


def test_page_list_json(cli, make_page, make_token, owner, page, run_cli, live_server):
    make_page("beta", title="Beta", time_zone="Europe/Berlin")
    token = make_token(owner, [page, page.__class__.objects.get(slug="beta")])

    result = cli("page", "list", "--json", HELIOGRAPH_TOKEN=token)

    assert result.code == 0, result.stderr
    body = result.json()
    assert [item["slug"] for item in body] == ["acme", "beta"]
    assert body[1]["time_zone"] == "Europe/Berlin"
    assert body[0]["role"] == "owner"


def test_page_show(cli, page):
    page.__class__.objects.filter(pk=page.pk).update(time_zone="Europe/Zurich")

    result = cli("page", "show")

    assert result.code == 0, result.stderr
    assert "Europe/Zurich" in result.stdout
    assert "All systems operational" in result.stdout


def test_page_show_json(cli):
    result = cli("page", "show", "acme", "--json")

    assert result.code == 0, result.stderr
    assert result.json()["slug"] == "acme"
    assert result.json()["title"] == "Acme"


def test_page_show_other_tenant_not_found(cli, outsider):
    result = cli("page", "show", "other")

    assert result.code == ExitCode.NOT_FOUND
    assert "Page 'other' was not found, or this token may not see it" in result.stderr


def test_page_option_invalid_slug(cli):
    result = cli("service", "list", "--page", "../admin")

    assert result.code == ExitCode.USAGE
    assert "--page: '../admin' is not a page slug" in result.stderr


def test_page_variable_invalid_slug(cli):
    result = cli("service", "list", HELIOGRAPH_PAGE="Bad Slug")

    assert result.code == ExitCode.USAGE
    assert "HELIOGRAPH_PAGE: 'Bad Slug' is not a page slug" in result.stderr


def test_page_option_beats_variable(cli, make_page, make_token, owner, page):
    beta = make_page("beta", title="Beta")
    token = make_token(owner, [page, beta])

    result = cli("page", "show", "--json", "--page", "beta", HELIOGRAPH_TOKEN=token,
                 HELIOGRAPH_PAGE="acme")

    assert result.code == 0, result.stderr
    assert result.json()["slug"] == "beta"


def test_token_without_pages(cli, make_token, owner, page):
    token = make_token(owner, [])

    result = cli("status", HELIOGRAPH_TOKEN=token)

    assert result.code == ExitCode.AUTH
    assert "This token reaches no page" in result.stderr
