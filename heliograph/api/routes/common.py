"""Parameter types and error responses shared by the route modules."""

from typing import Annotated, Any

from ninja import Path, Query

from heliograph.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from heliograph.api.schemas import ErrorOut

Cursor = Annotated[
    str | None,
    Query(None, max_length=500, description="The next_cursor of the previous response."),
]
Limit = Annotated[int, Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")]
PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]

ERRORS: dict[int, Any] = {
    401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut,
}
