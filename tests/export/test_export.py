"""`heliograph-admin export`: the page's whole public site as static files."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from heliograph.domain import incidents
from heliograph.domain.vocab import State, Status
from heliograph.export.site import (
    ExportError,
    export_page,
    file_for,
    html_links,
    internal_path,
    rewrite_html,
)
from tests.export.conftest import HOST, LOGO, Site

# Exported files that differ from the live response by the export's documented rewrites.
SUBSCRIBE_LINK = b'<a href="/subscribe">Get updates by e-mail</a>'


def exported_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def live_bytes(client: Client, path: str) -> bytes:
    response = client.get(path, HTTP_HOST=HOST)
    assert response.status_code == 200, path
    return b"".join(response) if response.streaming else response.content


@pytest.fixture
def exported(site: Site, tmp_path: Path) -> Path:
    directory = tmp_path / "status"
    export_page(site.page, directory)
    return directory


def test_export_writes_every_public_path(site: Site, exported: Path) -> None:
    files = set(exported_files(exported))
    expected = {
        "index.html", "history/index.html", "history/page/2/index.html",
        "maintenances/index.html", "embed/index.html", "live", "favicon.svg", "api.json",
        "history.atom", "history.rss", "maintenances.ics", "badge.svg",
        "api/v2/summary.json", "api/v2/status.json", "api/v2/components.json",
        "api/v2/incidents.json", "api/v2/incidents/unresolved.json",
        "api/v2/scheduled-maintenances.json", "api/v2/scheduled-maintenances/upcoming.json",
        "api/v2/scheduled-maintenances/active.json",
        "static/public/status.css", "static/public/status.js",
        site.page.logo.url.lstrip("/"),
    }
    expected |= {f"incidents/{i.pk}/index.html" for i in [*site.past, site.open_incident]}
    expected |= {f"maintenances/{m.pk}/index.html" for m in site.maintenances}
    expected |= {f"badge/{service.pk}.svg" for service in site.services}

    assert expected - files == set()
    assert files - expected == set()


def test_export_is_a_link_to_a_version(exported: Path) -> None:
    assert exported.is_symlink()
    assert exported.resolve().parent == exported.parent / ".status.versions"
    assert (exported / "index.html").is_file()


def test_every_internal_link_resolves(exported: Path, serve: Any) -> None:
    base = serve(exported)
    checked = set()
    for html in exported.rglob("*.html"):
        for link in html_links(html.read_bytes()):
            path = internal_path(link)
            if path is None or path in checked:
                continue
            checked.add(path)
            try:
                with urllib.request.urlopen(base + path) as response:  # noqa: S310 - local
                    status = response.status
            except HTTPError as error:
                status = error.code
            assert status == 200, f"{path} linked from {html.relative_to(exported)}"
    # The front page, list pages and pagers link to these at least.
    assert {"/", "/history", "/maintenances", "/history/page/2/"} <= checked


@pytest.mark.parametrize(("name", "content_type"), [
    ("api.json", "application/json"),
    ("api/v2/summary.json", "application/json"),
    ("badge.svg", "image/svg+xml"),
    ("maintenances.ics", "text/calendar"),
    ("index.html", "text/html"),
])
def test_static_server_guesses_content_type(exported: Path, serve: Any, name: str,
                                            content_type: str) -> None:
    with urllib.request.urlopen(f"{serve(exported)}/{name}") as response:  # noqa: S310
        assert response.headers["Content-Type"].split(";")[0] == content_type


def test_files_equal_live_responses(site: Site, exported: Path, client: Client) -> None:
    for name in exported_files(exported):
        if name.startswith(("static/", "media/")):
            continue
        path = "/" + ("" if name == "index.html" else name.removesuffix("/index.html"))
        if name.startswith("history/page/"):
            path = f"/history?page={name.split('/')[2]}"
        elif name.startswith("badge/"):
            path = f"/badge.svg?service={Path(name).stem}"
        body = live_bytes(client, path)
        if name.endswith(".html"):
            list_path = path.strip("/").split("?")[0]
            body = rewrite_html(body, list_path if list_path in {"history", "maintenances"}
                                else None)
        assert (exported / name).read_bytes() == body, name


def test_front_page_differs_only_by_subscribe_link(exported: Path, client: Client) -> None:
    live = live_bytes(client, "/")
    expected = re.sub(rb' nonce="[^"]*"', b"", live.replace(SUBSCRIBE_LINK, b""))

    assert SUBSCRIBE_LINK in live
    assert (exported / "index.html").read_bytes() == expected


def test_history_pager_points_at_files(exported: Path) -> None:
    first = (exported / "history/index.html").read_bytes()
    second = (exported / "history/page/2/index.html").read_bytes()

    assert b'href="/history/page/2/"' in first
    assert b'href="/history"' in second
    assert b"?page=" not in first + second


def test_assets_copied_byte_for_byte(site: Site, exported: Path) -> None:
    css = Path(__file__).parents[2] / "heliograph/public/static/public/status.css"

    assert (exported / "static/public/status.css").read_bytes() == css.read_bytes()
    assert (exported / site.page.logo.url.lstrip("/")).read_bytes() == LOGO


def test_feed_links_use_page_host(exported: Path) -> None:
    atom = (exported / "history.atom").read_text()

    assert f"http://{HOST}/history.atom" in atom
    assert "testserver" not in atom


def test_second_export_replaces_first(site: Site, tmp_path: Path) -> None:
    directory = tmp_path / "status"
    first = export_page(site.page, directory).version_directory
    second = export_page(site.page, directory).version_directory
    third = export_page(site.page, directory).version_directory

    assert directory.resolve() == third
    assert second.is_dir()  # kept for readers still inside it
    assert not first.exists()


def test_export_into_empty_directory(site: Site, tmp_path: Path) -> None:
    directory = tmp_path / "status"
    directory.mkdir()

    export_page(site.page, directory)

    assert (directory / "index.html").is_file()


def test_export_refuses_non_empty_directory(site: Site, tmp_path: Path) -> None:
    directory = tmp_path / "status"
    directory.mkdir()
    (directory / "keep.txt").write_text("mine")

    with pytest.raises(ExportError, match="not an earlier export"):
        export_page(site.page, directory)
    assert (directory / "keep.txt").read_text() == "mine"
    assert not (tmp_path / ".status.versions").exists() or not any(
        path.name.startswith("building-") for path in (tmp_path / ".status.versions").iterdir()
    )


def test_export_of_private_page_rejected(site: Site, tmp_path: Path) -> None:
    site.page.is_private = True
    site.page.save()

    with pytest.raises(ExportError, match="private"):
        export_page(site.page, tmp_path / "status")
    assert not (tmp_path / "status").exists()


@pytest.mark.parametrize(("url", "name"), [
    ("", "index.html"),
    ("history", "history/index.html"),
    ("history?page=1", "history/index.html"),
    ("history?page=3", "history/page/3/index.html"),
    ("maintenances?page=2", "maintenances/page/2/index.html"),
    ("incidents/7", "incidents/7/index.html"),
    ("favicon.svg?v=12", "favicon.svg"),
    ("badge.svg?service=4", "badge/4.svg"),
    ("api/v2/summary.json", "api/v2/summary.json"),
    ("live", "live"),
    ("subscribe", None),
    ("subscription/abc/confirm", None),
    ("embed?theme=dark", None),
    ("history?page=x", None),
    ("badge.svg?service=../x", None),
    ("incidents/../../x", None),
    ("a//b", None),
])
def test_file_for_paths(url: str, name: str | None) -> None:
    assert file_for(url) == name


def test_command_exports(site: Site, tmp_path: Path, capsys: Any) -> None:
    call_command("export", "--page", "acme", str(tmp_path / "out"))

    assert "files in" in capsys.readouterr().out
    assert (tmp_path / "out/index.html").is_file()


def test_command_unknown_page(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--page: no page has the slug 'nope'"):
        call_command("export", "--page", "nope", str(tmp_path / "out"))


def test_command_missing_directory(site: Site) -> None:
    with pytest.raises(CommandError, match="DIR: missing"):
        call_command("export", "--page", "acme")


def test_command_non_empty_directory(site: Site, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out/file").write_text("x")

    with pytest.raises(CommandError, match="not an earlier export"):
        call_command("export", "--page", "acme", str(tmp_path / "out"))


def test_broken_links_in_texts_skipped(site: Site, actor: Any, tmp_path: Path) -> None:
    text = ("See [a](/nope), [b](/badge.svg?service=../../escape), [c](/static/../secret), "
            "[d](/static/missing.css) and [e](/incidents/999999).")
    incidents.post_event(site.open_incident, text=text, status=Status.IDENTIFIED,
                         state=State.PARTIAL_OUTAGE, actor=actor)

    files = exported_files(export_page(site.page, tmp_path / "status").version_directory)

    assert "index.html" in files
    assert not any("escape" in name or "secret" in name or "missing" in name
                   for name in files)
    assert "incidents/999999/index.html" not in files
    assert sorted(path.name for path in tmp_path.iterdir()) == [".status.versions", "status",
                                                                  "uploads"]
