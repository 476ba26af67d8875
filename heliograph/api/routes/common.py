"""Parameter types and error responses shared by the route modules."""

from typing import Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Path, Query

from heliograph.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from heliograph.api.schemas import ErrorOut
from heliograph.domain.validation import check_text

M = TypeVar("M", bound=Model)

Cursor = Annotated[
    str | None,
    Query(None, max_length=500,
          description="The next_cursor of the previous response, unchanged."),
]
Limit = Annotated[int, Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")]
PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]
TitlePrefix = Annotated[
    str | None,
    Query(None, max_length=300,
          description="Only those whose title starts with this text, ignoring case."),
]

# Every operation documents every error status, and the `code` in the body names the case.
ERRORS: dict[int, Any] = {
    status: ErrorOut for status in (400, 401, 403, 404, 409, 413, 422)
}


def with_title_prefix(queryset: QuerySet[M], prefix: str | None) -> QuerySet[M]:
    """Keep the rows whose title starts with `prefix`, ignoring case; all rows for no prefix.

    The prefix is stripped like a stored title. SQLite ignores the case of ASCII letters only,
    PostgreSQL that of every letter.
    """
    if prefix is None:
        return queryset
    # Checked before the query: PostgreSQL rejects a NUL character in a query parameter.
    prefix = check_text(prefix, field="title_prefix", max_length=300, required=False,
                        multiline=False)
    return queryset.filter(title__istartswith=prefix) if prefix else queryset
