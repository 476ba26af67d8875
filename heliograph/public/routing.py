"""Find which status page a request is for, from its host name or its `/p/<slug>/` path.

A page is served at three kinds of address:

- `<slug>.<HELIOGRAPH_DOMAIN>` and the page's custom domain, with every public path at the
  host's root;
- `/p/<slug>/...` on the main host, for installs without wildcard DNS;
- the main host's root paths, when HELIOGRAPH_DEFAULT_PAGE names a page.

The main host is HELIOGRAPH_DOMAIN, the host of HELIOGRAPH_BASE_URL, and every exact name in
ALLOWED_HOSTS (so `127.0.0.1` and `localhost` in a default install). Any other host is
unknown, and `PageHostMiddleware` responds to it with the friendly 404 page. A deployment that
serves custom domains sets ALLOWED_HOSTS=* and relies on this check.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port

from heliograph.domain.models import Page

logger = logging.getLogger(__name__)

PATH_PREFIX = "/p/"
# Default-page slugs already reported missing, so the warning is logged once per process.
_missing_defaults_logged: set[str] = set()


class HostKind(enum.Enum):
    MAIN = "main"
    PAGE = "page"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class HostMatch:
    """The target of a request's host name; `page` is set when `kind` is PAGE."""

    kind: HostKind
    host: str
    page: Page | None = None


@dataclass(frozen=True)
class PageRoute:
    """A page as reached by one request, and the path prefix its links start with."""

    page: Page
    prefix: str

    def url(self, *parts: object) -> str:
        """Return the path of a public view of this page: `url("incidents", 5)`."""
        tail = "/".join(str(part) for part in parts)
        return f"{self.prefix}/{tail}"


def main_hosts() -> frozenset[str]:
    """Return the host names that serve the install itself rather than one page."""
    names = {settings.HELIOGRAPH_DOMAIN}
    base_host = urlsplit(settings.HELIOGRAPH_BASE_URL).hostname
    if base_host:
        names.add(base_host.lower())
    for allowed in settings.ALLOWED_HOSTS:
        if allowed != "*" and not allowed.startswith("."):
            names.add(allowed.lower().strip("[]"))
    return frozenset(names)


def match_host(host: str) -> HostMatch:
    """Match a host name (without port, lower case) to the main host or a page.

    A subdomain or custom domain of a page costs one query; the main host costs none.
    """
    host = host.rstrip(".").strip("[]")
    if host in main_hosts():
        return HostMatch(HostKind.MAIN, host)

    suffix = f".{settings.HELIOGRAPH_DOMAIN}"
    if host.endswith(suffix):
        label = host.removesuffix(suffix)
        page = Page.objects.filter(slug=label).first() if "." not in label else None
    else:
        page = Page.objects.filter(custom_domain=host).first()
    if page is None:
        return HostMatch(HostKind.UNKNOWN, host)
    return HostMatch(HostKind.PAGE, host, page)


def host_match(request: HttpRequest) -> HostMatch:
    """Return the request's host match, computed once per request."""
    cached: HostMatch | None = getattr(request, "heliograph_host", None)
    if cached is None:
        domain, _port = split_domain_port(request.get_host())
        cached = match_host(domain)
        request.heliograph_host = cached  # type: ignore[attr-defined]
    return cached


def default_page() -> Page | None:
    """Return the page HELIOGRAPH_DEFAULT_PAGE names, or None when unset or missing."""
    slug = settings.HELIOGRAPH_DEFAULT_PAGE
    if not slug:
        return None
    page = Page.objects.filter(slug=slug).first()
    if page is None and slug not in _missing_defaults_logged:
        _missing_defaults_logged.add(slug)
        logger.warning("HELIOGRAPH_DEFAULT_PAGE=%s names no page; the main host shows the "
                       "landing page instead. Create the page or change the setting.", slug)
    return page


def resolve_route(request: HttpRequest, slug: str | None) -> PageRoute | None:
    """Return the public page a request addresses, or None for the main host's landing page.

    Raise Http404 for an unknown slug, a private page, and a `/p/<slug>/` path on a page's own
    host, because a custom domain serves its own page only. Return None on the main host when
    no default page is set, so the caller shows the landing page at `/` and a 404 elsewhere.
    """
    match = host_match(request)
    if slug is not None:
        if match.kind is not HostKind.MAIN:
            raise Http404("Pages are addressed by /p/<slug>/ on the main host only.")
        page = Page.objects.filter(slug=slug).first()
        route = PageRoute(page, f"{PATH_PREFIX}{slug}") if page is not None else None
    elif match.kind is HostKind.PAGE:
        assert match.page is not None
        route = PageRoute(match.page, "")
    elif match.kind is HostKind.MAIN:
        page = default_page()
        if page is None:
            return None
        route = PageRoute(page, "")
    else:
        raise Http404("This host serves no status page.")

    if route is None or route.page.is_private:
        raise Http404("No public status page has this address.")
    return route


class PageHostMiddleware:
    """Respond to requests for unknown hosts with the friendly 404 page.

    Requests for the main host and for pages pass through; views read the match with
    `host_match(request)` without a second query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if host_match(request).kind is HostKind.UNKNOWN:
            from heliograph.public.views import not_found

            return not_found(request, None)
        return self.get_response(request)
