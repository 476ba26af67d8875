"""Render a page's public site through its own views and write it as static files.

Every response comes from Django's test `Client` on the page's own host (its custom domain, or
`<slug>.<HELIOGRAPH_DOMAIN>`), through the whole middleware stack, so an exported file contains
the bytes the live server sends for the same path at the same moment. Paths map to files so
that a plain web server serving the export at a site root serves the same links:

- a path whose last part has an extension (`api.json`, `badge.svg`, `history.atom`) and `live`
  become files of that name;
- every other path becomes `<path>/index.html`, and the front page `index.html`;
- `history?page=N` and `maintenances?page=N` become `history/page/N/index.html` and
  `maintenances/page/N/index.html`, because static servers ignore query strings;
- `badge.svg?service=ID` becomes `badge/ID.svg`;
- `/static/` and `/media/` files that the pages reference are copied under the same paths.

Three rewrites change exported HTML, and only these: the pager's `?page=N` links point at the
paths above; the link to the e-mail subscription form is removed, because a static server
cannot take the form's POST; and the `nonce` attributes of inline styles and scripts are
removed, because a nonce is new on every response and the static server sends no policy that
names it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static
from django.test import Client
from django.utils import timezone

from heliograph.domain.models import Incident, Maintenance, Page, Service

logger = logging.getLogger(__name__)

# Paths every export contains besides the incidents, maintenances and list pages found by
# following links. Each is requested as-is on the page's host.
FIXED_PATHS = (
    "",
    "history",
    "maintenances",
    "live",
    "favicon.svg",
    "api.json",
    "history.atom",
    "history.rss",
    "maintenances.ics",
    "badge.svg",
    "embed",
    "api/v2/summary.json",
    "api/v2/status.json",
    "api/v2/components.json",
    "api/v2/incidents.json",
    "api/v2/incidents/unresolved.json",
    "api/v2/scheduled-maintenances.json",
    "api/v2/scheduled-maintenances/upcoming.json",
    "api/v2/scheduled-maintenances/active.json",
)
# Static files that every public page links; an export without them fails.
TEMPLATE_ASSETS = ("public/status.css", "public/status.js")
# Paths that need a server: the subscription form and its e-mailed links.
DYNAMIC_PREFIXES = ("subscribe", "subscription/")
# Lists whose `?page=N` pages the export follows.
PAGED_LISTS = ("history", "maintenances")
# Paths without an extension that are written as a file rather than `<path>/index.html`.
FILE_PATHS = frozenset({"live"})

_PAGER_LINK = re.compile(rb'href="\?page=(\d+)"')
_SUBSCRIBE_LINK = re.compile(rb'<a href="/subscribe">[^<]*</a>')
_NONCE = re.compile(rb' nonce="[^"]*"')


class ExportError(Exception):
    """An export that cannot be written; the message names the path or file and the fix."""


@dataclass
class ExportResult:
    """The result of one export: the directory it published and the files in it."""

    directory: Path
    version_directory: Path
    page_version: int
    files: list[str] = field(default_factory=list)


def page_host(page: Page) -> tuple[str, bool]:
    """Return the host name that serves `page` at its root, and whether it uses HTTPS.

    The scheme follows HELIOGRAPH_BASE_URL. Feeds, the calendar and the embed snippet contain
    absolute links on this host, so the export belongs at this address.
    """
    secure = urlsplit(settings.HELIOGRAPH_BASE_URL).scheme == "https"
    host = page.custom_domain or f"{page.slug}.{settings.HELIOGRAPH_DOMAIN}"
    return host, secure


def file_for(url: str) -> str | None:
    """Return the export's file path for a public path of the page, or None if not exported.

    `url` is relative to the page's root and may carry a query, such as `history?page=2`.
    """
    parts = urlsplit(url)
    path = parts.path.strip("/")
    query = parts.query
    segments = path.split("/")
    if path.startswith(DYNAMIC_PREFIXES) or (path and not all(
            segment and segment not in {".", ".."} for segment in segments)):
        return None
    if path in PAGED_LISTS and query.startswith("page="):
        number = query.removeprefix("page=")
        if not number.isdigit():
            return None
        return f"{path}/index.html" if int(number) == 1 else f"{path}/page/{int(number)}/index.html"
    if path == "badge.svg" and query.startswith("service="):
        service = query.removeprefix("service=")
        return f"badge/{service}.svg" if service.isascii() and service.isdigit() else None
    if query and path != "favicon.svg":
        # Only the favicon's `?v=` cache-buster is dropped; any other query names content
        # that a static file cannot hold.
        return None
    if not path:
        return "index.html"
    if path in FILE_PATHS or "." in path.rsplit("/", 1)[-1]:
        return path
    return f"{path}/index.html"


def pager_target(list_path: str, number: int) -> str:
    """Return the link a pager of `list_path` gets for page `number` in an export."""
    return f"/{list_path}" if number == 1 else f"/{list_path}/page/{number}/"


def rewrite_html(body: bytes, list_path: str | None) -> bytes:
    """Apply the export's HTML rewrites: pager links, no subscription link, no nonces."""
    if list_path is not None:
        def pager(match: re.Match[bytes]) -> bytes:
            return b'href="' + pager_target(list_path, int(match.group(1))).encode() + b'"'

        body = _PAGER_LINK.sub(pager, body)
    body = _SUBSCRIBE_LINK.sub(b"", body)
    return _NONCE.sub(b"", body)


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "src"} and value:
                self.links.append(value)


def html_links(body: bytes) -> list[str]:
    """Return every `href` and `src` value of an HTML document, in order."""
    parser = _LinkParser()
    parser.feed(body.decode("utf-8"))
    parser.close()
    return parser.links


def internal_path(link: str) -> str | None:
    """Return a root-relative link without its fragment, or None for any other link."""
    if not link.startswith("/") or link.startswith("//"):
        return None
    return link.split("#", 1)[0]


def _seed_paths(page: Page) -> list[str]:
    paths = list(FIXED_PATHS)
    paths += [f"incidents/{pk}" for pk in
              Incident.objects.filter(page=page).order_by("pk").values_list("pk", flat=True)]
    paths += [f"maintenances/{pk}" for pk in
              Maintenance.objects.filter(page=page).order_by("pk").values_list("pk", flat=True)]
    paths += [f"badge.svg?service={pk}" for pk in
              Service.objects.filter(page=page).order_by("pk").values_list("pk", flat=True)]
    return paths


class _Renderer:
    """Fetch public paths of one page through Django and write them under `root`."""

    def __init__(self, page: Page, root: Path) -> None:
        self.page = page
        self.root = root
        host, secure = page_host(page)
        self.client = Client(HTTP_HOST=host, secure=secure)
        self.host = host
        self.written: dict[str, str] = {}
        self.assets: set[str] = set()

    def fetch(self, url: str, *, required: bool = True) -> bytes | None:
        """Return the body of a 200 response; raise ExportError, or return None if optional."""
        response = self.client.get(f"/{url}")
        if response.status_code != 200 and not required:
            # A link in an incident's text may name a path the page does not have; the live
            # page has the same broken link.
            logger.warning("export of page %s skips the link /%s: status %s", self.page.slug,
                           url, response.status_code)
            return None
        if response.status_code != 200:
            raise ExportError(
                f"GET /{url} on host {self.host} returned {response.status_code}, not 200. "
                f"Check that ALLOWED_HOSTS accepts {self.host} and that the page is public."
            )
        return b"".join(response) if response.streaming else response.content

    def export(self, url: str, *, required: bool = True) -> list[str]:
        """Write one path; return the internal links of an HTML file to follow.

        A path found only as a link is not `required`: a response other than 200 skips it.
        """
        name = file_for(url)
        if name is None or name in self.written:
            return []
        body = self.fetch(url, required=required)
        if body is None:
            return []
        links: list[str] = []
        if name.endswith(".html"):
            # Links are read before the rewrite, so that pager links are followed as the
            # queries the server responds to.
            list_path = urlsplit(url).path.strip("/")
            paged = list_path if list_path in PAGED_LISTS else None
            if paged is not None:
                links += [f"/{paged}?page={number.decode()}"
                          for number in _PAGER_LINK.findall(body)]
            for link in html_links(body):
                path = internal_path(link)
                if path is not None:
                    links.append(path)
            body = rewrite_html(body, paged)
        self.write(name, body)
        self.written[name] = url
        return links

    def write(self, name: str, body: bytes) -> None:
        target = self.root / name
        if not target.resolve().is_relative_to(self.root.resolve()):
            raise ExportError(f"The path {name} leads outside the export directory.")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)

    def follow(self, link: str) -> str | None:
        """Return the public path a link names, after noting any asset it references."""
        for prefix in (settings.STATIC_URL, settings.MEDIA_URL):
            if link.startswith(prefix):
                self.assets.add(link.split("?", 1)[0])
                return None
        return link.lstrip("/")

    def copy_assets(self) -> None:
        """Copy the static files from their storage and fetch the uploads from their view."""
        for url in sorted(self.assets):
            name = url.lstrip("/")
            if url.startswith(settings.STATIC_URL):
                try:
                    source = static_source(url)
                except ExportError:
                    if url in required_assets():
                        raise
                    # A link in an incident's text may name a file that does not exist.
                    logger.warning("export of page %s skips the missing static file %s",
                                   self.page.slug, url)
                    continue
                self.write(name, source.read_bytes())
            else:
                body = self.fetch(name, required=False)
                if body is None:
                    continue
                self.write(name, body)
            self.written[name] = url


def required_assets() -> set[str]:
    """Return the URLs of the static files that the public templates link."""
    return {static(name) for name in TEMPLATE_ASSETS}


def static_source(url: str) -> Path:
    """Return the file behind a `/static/` URL, or raise ExportError."""
    name = url.removeprefix(settings.STATIC_URL)
    if ".." in name.split("/"):
        raise ExportError(f"The static file {url} leads outside the static files.")
    if staticfiles_storage.exists(name):
        return Path(staticfiles_storage.path(name))
    found = finders.find(name)
    if isinstance(found, str):
        return Path(found)
    raise ExportError(
        f"The static file {url} is missing. Run `heliograph-admin collectstatic --noinput`, "
        "then export again."
    )


def render_site(page: Page, root: Path) -> list[str]:
    """Write every public path of `page` under `root`; return the file names, sorted."""
    renderer = _Renderer(page, root)
    seeds = _seed_paths(page)
    queue = deque(seeds)
    seen: set[str] = set(queue)
    while queue:
        url = queue.popleft()
        for link in renderer.export(url, required=url in seeds):
            path = renderer.follow(link)
            if path is not None and path not in seen:
                seen.add(path)
                queue.append(path)
    renderer.copy_assets()
    return sorted(renderer.written)


def publish(directory: Path, build: Callable[[Path], None]) -> Path:
    """Build a new export beside `directory`, then point `directory` at it in one step.

    `directory` becomes a symbolic link to `.<name>.versions/<stamp>` in the same parent.
    Replacing the link is one `rename`, so a reader sees either the whole previous export or
    the whole new one. The previous version is kept for readers still inside it, and older
    ones are removed. Return the new version's directory.
    """
    directory = Path(os.path.abspath(directory))
    replaceable = (not directory.exists() or directory.is_symlink()
                   or (directory.is_dir() and not any(directory.iterdir())))
    if not replaceable:
        raise ExportError(
            f"{directory} exists and is not an earlier export: give a new or empty "
            "directory, because an export replaces the whole directory."
        )
    if not directory.parent.is_dir():
        raise ExportError(f"{directory.parent} does not exist: create it first.")

    versions = directory.parent / f".{directory.name}.versions"
    versions.mkdir(exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="building-", dir=versions))
    try:
        build(building)
        building.chmod(0o755)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
        final = versions / f"{stamp}-{secrets.token_hex(4)}"
        building.rename(final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise

    previous = directory.resolve() if directory.is_symlink() else None
    link = versions / f"link-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(final, directory.parent), link)
    if directory.is_dir() and not directory.is_symlink():
        directory.rmdir()
    os.replace(link, directory)
    _prune(versions, keep={final, previous})
    return final


def _prune(versions: Path, keep: Iterable[Path | None]) -> None:
    kept = {path.resolve() for path in keep if path is not None}
    for entry in versions.iterdir():
        if entry.name.startswith("building-") or entry.resolve() in kept:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_symlink():
            entry.unlink(missing_ok=True)


def export_page(page: Page, directory: Path) -> ExportResult:
    """Export the public site of `page` into `directory`, replacing any earlier export."""
    if page.is_private:
        raise ExportError(f"The page {page.slug} is private: only public pages can be exported.")
    version = Page.objects.values_list("version", flat=True).get(pk=page.pk)
    files: list[str] = []

    def build(root: Path) -> None:
        files.extend(render_site(page, root))

    final = publish(directory, build)
    logger.info("exported page %s (version %s) to %s: %d files", page.slug, version,
                directory, len(files))
    return ExportResult(directory=Path(os.path.abspath(directory)), version_directory=final,
                        page_version=version, files=files)
