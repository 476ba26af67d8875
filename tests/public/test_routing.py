"""Which page a request reaches: subdomain, custom domain, /p/<slug>/, default page, 404s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from tests.public.dom import Node, parse


def brand(dom: Node) -> str:
    return dom.one(cls="brand-title").text()


def test_subdomain_serves_page_at_root(page: Page, get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/", "acme.localhost")

    assert brand(dom) == "Acme"
    assert dom.one("div", id="live").attrs["data-live-url"] == "/live"


def test_subdomain_host_is_case_insensitive(page: Page, get: Callable[..., Any]) -> None:
    assert get("/", "ACME.LocalHost").status_code == 200


def test_subdomain_links_stay_at_root(page: Page, get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/", "acme.localhost")

    hrefs = {a.attrs["href"] for a in dom.one("footer").find_all("a")}
    assert {"/", "/history", "/maintenances"} <= hrefs


def test_custom_domain_serves_page(make_page: Callable[..., Page],
                                   get_dom: Callable[..., Node], settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    make_page("beta", title="Beta", custom_domain="status.beta.example")

    dom = get_dom("/", "status.beta.example")

    assert brand(dom) == "Beta"


def test_custom_domain_does_not_serve_other_pages(
    page: Page, make_page: Callable[..., Page], get: Callable[..., Any], settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    make_page("beta", title="Beta", custom_domain="status.beta.example")

    response = get("/p/acme/", "status.beta.example")

    assert response.status_code == 404
    assert b"Acme" not in response.content


def test_path_prefix_on_main_host(page: Page, get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/p/acme/", "localhost")

    assert brand(dom) == "Acme"
    assert dom.one("div", id="live").attrs["data-live-url"] == "/p/acme/live"
    hrefs = {a.attrs["href"] for a in dom.one("footer").find_all("a")}
    assert {"/p/acme/", "/p/acme/history", "/p/acme/maintenances"} <= hrefs


def test_path_prefix_without_slash_redirects(page: Page, get: Callable[..., Any]) -> None:
    response = get("/p/acme", "localhost")

    assert response.status_code == 301
    assert response["Location"] == "/p/acme/"


def test_main_host_default_page(page: Page, get_dom: Callable[..., Node], settings: Any) -> None:
    settings.HELIOGRAPH_DEFAULT_PAGE = "acme"

    dom = get_dom("/", "localhost")

    assert brand(dom) == "Acme"
    assert dom.one("div", id="live").attrs["data-live-url"] == "/live"


def test_main_host_default_page_serves_subpaths(
    page: Page, get: Callable[..., Any], settings: Any
) -> None:
    settings.HELIOGRAPH_DEFAULT_PAGE = "acme"

    assert get("/history", "127.0.0.1").status_code == 200


def test_main_host_without_default_shows_landing(page: Page, get: Callable[..., Any]) -> None:
    response = get("/", "localhost")

    assert response.status_code == 200
    assert "Status pages" in parse(response.content).one("h1").text()


def test_main_host_without_default_404s_subpaths(page: Page, get: Callable[..., Any]) -> None:
    assert get("/history", "localhost").status_code == 404


def test_default_page_missing_shows_landing(get: Callable[..., Any], settings: Any,
                                            db: None) -> None:
    settings.HELIOGRAPH_DEFAULT_PAGE = "gone"

    response = get("/", "localhost")

    assert response.status_code == 200
    assert "Status pages" in parse(response.content).one("h1").text()


def test_unknown_subdomain_is_friendly_404(page: Page, get: Callable[..., Any]) -> None:
    response = get("/", "nope.localhost")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert parse(response.content).one("h1").text() == "Nothing here"


def test_unknown_subdomain_404s_every_path(page: Page, get: Callable[..., Any]) -> None:
    for path in ["/history", "/incidents/1", "/live", "/favicon.svg", "/p/acme/", "/api/v1/"]:
        assert get(path, "nope.localhost").status_code == 404, path


def test_nested_subdomain_is_404(page: Page, get: Callable[..., Any]) -> None:
    assert get("/", "www.acme.localhost").status_code == 404


def test_unknown_custom_domain_is_404(page: Page, get: Callable[..., Any],
                                      settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["*"]

    response = get("/", "status.unknown.example")

    assert response.status_code == 404
    assert b"Nothing here" in response.content


def test_unknown_slug_is_friendly_404(page: Page, get: Callable[..., Any]) -> None:
    response = get("/p/nope/", "localhost")

    assert response.status_code == 404
    assert parse(response.content).one("h1").text() == "Nothing here"


def test_path_prefix_on_page_host_is_404(page: Page, make_page: Callable[..., Page],
                                         get: Callable[..., Any]) -> None:
    make_page("beta", title="Beta")

    response = get("/p/beta/", "acme.localhost")

    assert response.status_code == 404
    assert b"Beta" not in response.content


def test_private_page_is_404(page: Page, actor: Actor, get: Callable[..., Any]) -> None:
    pages.update_page(page, {"is_private": True}, actor=actor)

    assert get("/", "acme.localhost").status_code == 404
    assert get("/p/acme/", "localhost").status_code == 404
    assert get("/live", "acme.localhost").status_code == 404


def test_unknown_path_on_page_host_is_friendly_404(page: Page, get: Callable[..., Any]) -> None:
    response = get("/nothing-here", "acme.localhost")

    assert response.status_code == 404
    dom = parse(response.content)
    assert dom.one("h1").text() == "Nothing here"
    assert "--operational:" in dom.one("style").text()


def test_post_is_rejected(page: Page, client: Any) -> None:
    response = client.post("/", HTTP_HOST="acme.localhost")

    assert response.status_code == 405


def test_other_domain_setting(page: Page, get_dom: Callable[..., Node], settings: Any) -> None:
    settings.HELIOGRAPH_DOMAIN = "status.example.com"
    settings.ALLOWED_HOSTS = [".status.example.com", "status.example.com"]

    assert brand(get_dom("/", "acme.status.example.com")) == "Acme"
    assert brand(get_dom("/p/acme/", "status.example.com")) == "Acme"
