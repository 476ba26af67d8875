"""Parameter types and error responses shared by the route modules."""

from typing import Annotated, Any

from ninja import Path, Query

from heliograph.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from heliograph.api.schemas import ErrorOut

Cursor = Annotated[
    str | None,
    Query(None, max_length=500,
          description="The next_cursor of the previous response, unchanged."),
]
Limit = Annotated[int, Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")]
PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]

# Every operation documents every error status, and the `code` in the body names the case.
ERRORS: dict[int, Any] = {
    status: ErrorOut for status in (400, 401, 403, 404, 409, 413, 422)
}
