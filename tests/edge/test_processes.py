"""The response cache in real server processes: freshness, validators, codings, variants."""

from __future__ import annotations

import gzip
import time

import brotli
import httpx

from tests.edge.servers import SLUG, Site, wait_for

FRONT = f"/p/{SLUG}/"
# Public addresses of the page that the cache stores.
PUBLIC_PATHS = [
    FRONT, f"{FRONT}history", f"{FRONT}maintenances", f"{FRONT}live", f"{FRONT}api.json",
    f"{FRONT}history.atom", f"{FRONT}history.rss", f"{FRONT}maintenances.ics",
    f"{FRONT}badge.svg", f"{FRONT}embed", f"{FRONT}embed?theme=dark",
    f"{FRONT}api/v2/summary.json", f"{FRONT}api/v2/status.json", f"{FRONT}favicon.svg",
]


def get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers={"Accept-Encoding": "identity", **headers}, timeout=30)


def get_raw(url: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """Return the response and its body as sent, without httpx decoding gzip or brotli."""
    with httpx.stream("GET", url, headers=headers, timeout=30) as response:
        return response, b"".join(response.iter_raw())


def test_change_shown_at_once_by_same_process(acme_site: Site) -> None:
    base = acme_site.serve()
    first = get(base + FRONT)
    again = get(base + FRONT)

    acme_site.open_incident(base, "Checkout is down")
    after = get(base + FRONT)

    assert first.status_code == 200
    assert again.headers["etag"] == first.headers["etag"]
    assert "Checkout is down" not in first.text
    assert "Checkout is down" in after.text
    assert after.headers["etag"] != first.headers["etag"]


def test_change_reaches_other_process_within_second(acme_site: Site) -> None:
    writer = acme_site.serve()
    reader = acme_site.serve()
    for path in (FRONT, f"{FRONT}api/v2/summary.json", f"{FRONT}history.atom"):
        assert "Payments fail" not in get(reader + path).text

    acme_site.open_incident(writer, "Payments fail")
    delays = [wait_for(reader + path, "Payments fail", timeout=5)
              for path in (FRONT, f"{FRONT}api/v2/summary.json", f"{FRONT}history.atom")]

    # The first poll starts after the API answered, so each delay is at most the real one.
    assert delays[0] < 1.0
    assert max(delays) < 1.0


def test_change_by_command_reaches_server(acme_site: Site) -> None:
    base = acme_site.serve()
    assert "Acme Corporation" not in get(base + FRONT).text

    acme_site.shell(
        "from heliograph.domain import pages; from heliograph.domain.audit import Actor; "
        "from heliograph.domain.models import Page; "
        "pages.update_page(Page.objects.get(slug='acme'), {'title': 'Acme Corporation'}, "
        "actor=Actor.system('test'))"
    )

    assert wait_for(base + FRONT, "Acme Corporation", timeout=5) < 1.0


def test_conditional_requests_get_304(acme_site: Site) -> None:
    base = acme_site.serve()
    for path in PUBLIC_PATHS:
        first = get(base + path)
        assert first.status_code == 200, path

        by_tag = get(base + path, **{"If-None-Match": first.headers["etag"]})
        by_date = get(base + path, **{"If-Modified-Since": first.headers["last-modified"]})
        other_tag = get(base + path, **{"If-None-Match": '"not-this-one"'})

        assert by_tag.status_code == 304, path
        assert by_tag.content == b""
        assert by_tag.headers["etag"] == first.headers["etag"]
        assert by_date.status_code == 304, path
        assert other_tag.status_code == 200, path
        assert other_tag.content == first.content


def test_change_ends_304(acme_site: Site) -> None:
    base = acme_site.serve()
    first = get(base + FRONT)

    acme_site.open_incident(base, "Search is slow")
    after = get(base + FRONT, **{"If-None-Match": first.headers["etag"]})

    assert after.status_code == 200
    assert "Search is slow" in after.text


def test_codings_decode_to_same_bytes(acme_site: Site) -> None:
    base = acme_site.serve()
    for path in PUBLIC_PATHS:
        plain, plain_body = get_raw(base + path, **{"Accept-Encoding": "identity"})
        zipped, zipped_body = get_raw(base + path, **{"Accept-Encoding": "gzip"})
        squeezed, squeezed_body = get_raw(base + path, **{"Accept-Encoding": "gzip, br"})
        refused, refused_body = get_raw(base + path,
                                        **{"Accept-Encoding": "br;q=0, gzip;q=0"})

        assert "content-encoding" not in plain.headers, path
        assert "content-encoding" not in refused.headers, path
        assert refused_body == plain_body, path
        if len(plain_body) < 200:
            continue
        assert zipped.headers["content-encoding"] == "gzip", path
        assert squeezed.headers["content-encoding"] == "br", path
        assert gzip.decompress(zipped_body) == plain_body, path
        assert brotli.decompress(squeezed_body) == plain_body, path
        assert "Accept-Encoding" in zipped.headers["vary"], path
        assert len({plain.headers["etag"], zipped.headers["etag"],
                    squeezed.headers["etag"]}) == 3, path


def test_cache_headers_are_public_and_short(acme_site: Site) -> None:
    base = acme_site.serve()
    front = get(base + FRONT)
    live = get(base + f"{FRONT}live")

    assert front.headers["cache-control"] == "public, max-age=5, stale-while-revalidate=30"
    assert front.headers["etag"].startswith('"')
    assert "last-modified" in front.headers
    assert "no-cache" in live.headers["cache-control"]
    assert "x-heliograph-edge" not in front.headers


def test_stored_response_keeps_render_headers(acme_site: Site) -> None:
    base = acme_site.serve()
    first = get(base + FRONT)
    again = get(base + FRONT)

    policy = again.headers["content-security-policy"]
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert f'nonce="{nonce}"' in again.text
    assert again.headers["content-language"] == "en"
    assert again.headers["x-content-type-options"] == "nosniff"


def test_hosts_get_own_links(acme_site: Site) -> None:
    base = acme_site.serve()
    port = base.rsplit(":", 1)[1]
    by_address = get(base + f"{FRONT}history.atom")
    by_name = httpx.get(base + f"{FRONT}history.atom", headers={"Host": f"localhost:{port}"},
                        timeout=30)

    assert f"http://127.0.0.1:{port}/" in by_address.text
    assert f"http://localhost:{port}/" in by_name.text
    assert f"http://127.0.0.1:{port}/" not in by_name.text


def test_page_language_change_served_at_once(acme_site: Site) -> None:
    base = acme_site.serve()
    english = get(base + FRONT, **{"Accept-Language": "fr"})
    token = {"Authorization": f"Bearer {acme_site.token}"}

    changed = httpx.patch(f"{base}/api/v1/pages/{SLUG}", headers=token,
                          json={"language": "fr"}, timeout=30)
    french = get(base + FRONT, **{"Accept-Language": "en"})

    assert changed.status_code == 200, changed.text
    assert english.headers["content-language"] == "en"
    assert '<html lang="en"' in english.text
    assert french.headers["content-language"] == "fr"
    assert '<html lang="fr"' in french.text


def test_private_page_hidden_at_once(acme_site: Site) -> None:
    base = acme_site.serve()
    other = acme_site.serve()
    assert get(base + FRONT).status_code == 200
    assert get(other + FRONT).status_code == 200
    token = {"Authorization": f"Bearer {acme_site.token}"}

    changed = httpx.patch(f"{base}/api/v1/pages/{SLUG}", headers=token,
                          json={"is_private": True}, timeout=30)
    hidden = get(base + FRONT)
    time.sleep(1.0)
    hidden_elsewhere = get(other + FRONT)

    assert changed.status_code == 200, changed.text
    assert hidden.status_code == 404
    assert hidden_elsewhere.status_code == 404
    assert "Acme" not in hidden_elsewhere.text or "No public status page" in hidden_elsewhere.text


def test_signed_in_visitor_shares_public_variant(acme_site: Site) -> None:
    base = acme_site.serve()
    session = acme_site.shell(
        "from django.test import Client; from heliograph.accounts.models import User; "
        "client = Client(); client.force_login(User.objects.get(email='owner@example.com')); "
        "print(client.cookies['sessionid'].value)"
    ).strip().splitlines()[-1]
    cookie = f"sessionid={session}"

    console = httpx.get(f"{base}/console/", headers={"Cookie": cookie}, timeout=30)
    signed_in = get(base + FRONT, Cookie=cookie)
    anonymous = get(base + FRONT)

    assert console.status_code == 200
    assert "owner@example.com" in console.text
    assert signed_in.status_code == 200
    assert "set-cookie" not in signed_in.headers
    assert "owner@example.com" not in signed_in.text
    assert anonymous.content == signed_in.content
    assert "owner@example.com" not in anonymous.text


def test_console_and_api_not_stored(acme_site: Site) -> None:
    base = acme_site.serve()
    token = {"Authorization": f"Bearer {acme_site.token}"}
    before = httpx.get(f"{base}/api/v1/pages/{SLUG}/incidents", headers=token, timeout=30)

    acme_site.open_incident(base, "Mail is delayed")
    after = httpx.get(f"{base}/api/v1/pages/{SLUG}/incidents", headers=token, timeout=30)
    anonymous = httpx.get(f"{base}/api/v1/pages/{SLUG}/incidents", timeout=30)

    assert "Mail is delayed" not in before.text
    assert "Mail is delayed" in after.text
    assert anonymous.status_code == 401
