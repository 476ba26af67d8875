"""`heliograph login` and `logout`, and where the URL, token and page come from."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from heliograph.client.errors import ExitCode
from heliograph.domain import pages
from heliograph.domain.audit import Actor

pytestmark = pytest.mark.django_db(transaction=True)


def config_file(home: Path) -> Path:
    return home / "config" / "heliograph" / "config.toml"


def test_login_saves_private_file(run_cli, live_server, token, page, home):
    result = run_cli("login", "--url", live_server.url, "--token-stdin", input=token + "\n")

    assert result.code == 0, result.stderr
    path = config_file(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert f'url = "{live_server.url}"' in text
    assert f'token = "{token}"' in text
    assert 'page = "acme"' in text
    assert "acme (owner)" in result.stdout
    assert token not in result.stdout


def test_login_then_commands_use_file(run_cli, live_server, token, page, add_service):
    add_service("API")
    run_cli("login", "--url", live_server.url + "/api/v1/", input=token + "\n")

    result = run_cli("service", "list", "--json")

    assert result.code == 0, result.stderr
    assert [service["name"] for service in result.json()] == ["API"]


def test_login_bad_token_saves_nothing(run_cli, live_server, page, home):
    result = run_cli("login", "--url", live_server.url, input="hg_wrong\n")

    assert result.code == ExitCode.AUTH
    assert "rejected the token" in result.stderr
    assert not config_file(home).exists()


def test_login_unreachable_saves_nothing(run_cli, closed_port, token, home):
    result = run_cli("login", "--url", f"http://127.0.0.1:{closed_port}", input=token + "\n")

    assert result.code == ExitCode.NETWORK
    assert "Connection refused" in result.stderr
    assert not config_file(home).exists()


def test_login_without_url_or_terminal(run_cli, token):
    result = run_cli("login", input=token + "\n")

    assert result.code == ExitCode.USAGE
    assert "--url is missing" in result.stderr


@pytest.mark.parametrize("url", ["ftp://example.com", "127.0.0.1:8000", "http://"])
def test_login_rejects_bad_url(run_cli, token, url):
    result = run_cli("login", "--url", url, input=token + "\n")

    assert result.code == ExitCode.USAGE
    assert "is not an http or https URL" in result.stderr


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999"])
def test_login_rejects_malformed_url(run_cli, token, home, url):
    result = run_cli("login", "--url", url, input=token + "\n")

    assert result.code == ExitCode.USAGE
    assert "is not a valid URL" in result.stderr
    assert not config_file(home).exists()


def test_url_with_password_rejected(run_cli, live_server, token, home):
    """httpx would send the user and password as Basic authentication instead of the token."""
    url = live_server.url.replace("http://", "http://alice:hunter2@")

    login = run_cli("login", "--url", url, input=token + "\n")
    status = run_cli("status", HELIOGRAPH_URL=url, HELIOGRAPH_TOKEN=token)

    for result in (login, status):
        assert result.code == ExitCode.USAGE
        assert "contains a user name or password" in result.stderr
        assert "hunter2" not in result.stderr
    assert not config_file(home).exists()


@pytest.mark.parametrize("bad", ["t\u00f6ken", "tok\x1b[31men", "tok\u202een"])
def test_token_outside_ascii_rejected(run_cli, live_server, home, bad):
    """Such a token cannot travel in an HTTP header, so it is a paste gone wrong."""
    login = run_cli("login", "--url", live_server.url, input=bad + "\n")
    status = run_cli("status", HELIOGRAPH_URL=live_server.url, HELIOGRAPH_TOKEN=bad)

    assert login.code == ExitCode.USAGE
    assert "The token from standard input contains" in login.stderr
    assert status.code == ExitCode.USAGE
    assert "The token from HELIOGRAPH_TOKEN contains" in status.stderr
    assert not config_file(home).exists()


def test_login_config_path_is_directory(run_cli, live_server, token, page, home):
    config_file(home).mkdir(parents=True)

    result = run_cli("login", "--url", live_server.url, input=token + "\n")

    assert result.code == ExitCode.FAILURE
    assert f"Cannot save the config file {config_file(home)}" in result.stderr
    assert "Nothing was saved" in result.stderr
    assert list(config_file(home).parent.iterdir()) == [config_file(home)]


def test_logout_config_path_is_directory(run_cli, home):
    config_file(home).mkdir(parents=True)

    result = run_cli("logout")

    assert result.code == ExitCode.FAILURE
    assert f"Cannot delete the config file {config_file(home)}" in result.stderr


def test_login_empty_token(run_cli, live_server):
    result = run_cli("login", "--url", live_server.url, input="\n")

    assert result.code == ExitCode.USAGE
    assert "No token on standard input" in result.stderr


def test_login_page_not_reached(run_cli, live_server, token, outsider, home):
    result = run_cli("login", "--url", live_server.url, "--page", "other", input=token + "\n")

    assert result.code == ExitCode.NOT_FOUND
    assert "does not reach the page 'other'" in result.stderr
    assert not config_file(home).exists()


def test_login_two_pages_no_default(run_cli, live_server, make_token, owner, page, make_page,
                                    home):
    second = make_page("beta", title="Beta")
    token = make_token(owner, [page, second])

    result = run_cli("login", "--url", live_server.url, input=token + "\n")

    assert result.code == 0, result.stderr
    assert "No default page" in result.stdout
    assert "page =" not in config_file(home).read_text()
    listed = run_cli("service", "list")
    assert listed.code == ExitCode.USAGE
    assert "reaches 2 pages (acme, beta)" in listed.stderr


def test_login_json(run_cli, live_server, token, page):
    result = run_cli("login", "--url", live_server.url, "--json", input=token + "\n")

    assert result.code == 0, result.stderr
    body = result.json()
    assert body["url"] == live_server.url
    assert body["page"] == "acme"
    assert body["pages"] == [{"slug": "acme", "role": "owner"}]
    assert "token" not in body


def test_environment_overrides_file(run_cli, live_server, token, page, make_page, owner,
                                    make_token, home, closed_port):
    run_cli("login", "--url", f"http://127.0.0.1:{closed_port}", input=token + "\n")
    # The saved URL is unreachable, so a working command proves the variable won.
    beta = make_page("beta", title="Beta")
    pages.add_service(beta, name="Beta API", actor=Actor.of_user(owner))
    beta_token = make_token(owner, [beta])

    result = run_cli("service", "list", "--json", HELIOGRAPH_URL=live_server.url,
                     HELIOGRAPH_TOKEN=beta_token, HELIOGRAPH_PAGE="beta")

    assert result.code == 0, result.stderr
    assert [service["name"] for service in result.json()] == ["Beta API"]


def test_saved_page_named_when_missing(run_cli, live_server, token, page, make_page, owner,
                                       make_token, home):
    assert run_cli("login", "--url", live_server.url, input=token + "\n").code == 0
    beta = make_page("beta", title="Beta")
    beta_token = make_token(owner, [beta])

    result = run_cli("service", "list", HELIOGRAPH_URL=live_server.url,
                     HELIOGRAPH_TOKEN=beta_token)

    assert result.code == ExitCode.NOT_FOUND
    assert "The page 'acme' is set in " in result.stderr
    assert "choose another with --page SLUG or HELIOGRAPH_PAGE." in result.stderr


def test_no_config_is_auth_error(run_cli):
    result = run_cli("status")

    assert result.code == ExitCode.AUTH
    assert "Not logged in" in result.stderr
    assert "heliograph login" in result.stderr


def test_token_without_url(run_cli, token):
    result = run_cli("status", HELIOGRAPH_TOKEN=token)

    assert result.code == ExitCode.AUTH
    assert "no HELIOGRAPH_URL is set" in result.stderr


def test_broken_config_file(run_cli, home):
    path = config_file(home)
    path.parent.mkdir(parents=True)
    path.write_text('url = "http://x\n')
    path.chmod(0o600)

    result = run_cli("status")

    assert result.code == ExitCode.AUTH
    assert "is not valid TOML" in result.stderr


def test_login_replaces_broken_file(run_cli, live_server, token, page, home):
    path = config_file(home)
    path.parent.mkdir(parents=True)
    path.write_text("not toml at all [")

    result = run_cli("login", "--url", live_server.url, input=token + "\n")

    assert result.code == 0, result.stderr
    assert f'token = "{token}"' in path.read_text()


def test_readable_config_warns(run_cli, live_server, token, page, home):
    run_cli("login", "--url", live_server.url, input=token + "\n")
    config_file(home).chmod(0o644)

    result = run_cli("status")

    assert result.code == 0, result.stderr
    assert "other users may read it (mode 0644)" in result.stderr


def test_relative_xdg_config_home_ignored(run_cli, live_server, token, page, home):
    result = run_cli("login", "--url", live_server.url, input=token + "\n",
                     XDG_CONFIG_HOME="relative/dir")

    assert result.code == 0, result.stderr
    assert (home / ".config" / "heliograph" / "config.toml").exists()


def test_logout_removes_file(run_cli, live_server, token, page, home):
    run_cli("login", "--url", live_server.url, input=token + "\n")

    result = run_cli("logout")

    assert result.code == 0
    assert not config_file(home).exists()
    assert run_cli("status").code == ExitCode.AUTH
