"""Numbered pages of a list: `{"count", "next", "previous", "results"}` with absolute links.

Clients follow `next` until it is null. `?page=N` picks a page and `?page_size=N` (up to
`MAX_PAGE_SIZE`) its length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from heliograph.runstatus.errors import invalid, not_found

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

M = TypeVar("M", bound=Model)


def paginate(
    request: HttpRequest,
    rows: QuerySet[M],
    present: Callable[[Sequence[M]], list[dict[str, Any]]],
    url: str,
) -> dict[str, Any]:
    """Return the page of `rows` that the request selects, each row presented.

    `present` turns the rows of one page into JSON objects; `url` is the list's absolute URL.
    A page number past the last page gets a 404 response.
    """
    size = _page_size(request)
    paginator = Paginator(rows, size)
    raw = request.GET.get("page", "1")
    try:
        # `int` would also take spaces and other scripts' digits, so that one page had many
        # URLs.
        if not (raw.isascii() and raw.isdigit()):
            raise ValueError(raw)
        page = paginator.page(int(raw))
    except (ValueError, InvalidPage):
        raise not_found("Invalid page: give a page number from 1 to the last page, or follow "
                        "the list's next and previous links.") from None

    def page_url(target: int) -> str:
        query = {"page": target} if target > 1 else {}
        if size != PAGE_SIZE:
            query["page_size"] = size
        return f"{url}?{urlencode(query)}" if query else url

    return {
        "count": paginator.count,
        "next": page_url(page.next_page_number()) if page.has_next() else None,
        "previous": page_url(page.previous_page_number()) if page.has_previous() else None,
        "results": present(list(page.object_list)),
    }


def _page_size(request: HttpRequest) -> int:
    raw = request.GET.get("page_size")
    if raw is None:
        return PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise invalid({"page_size": [f"{raw[:20]!r} is not a page size: give a number from 1 "
                                     f"to {MAX_PAGE_SIZE}."]})
    return int(raw)
