"""Cursor pagination: opaque cursors that encode the sort key of the last item returned.

Keyset pages stay correct when rows are added between requests and cost the same however deep
a client reads.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any, cast

from django.db.models import Field, Model, Q, QuerySet

from heliograph.api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def paginate(
    queryset: QuerySet[Any], order: list[str], cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Return one page of `queryset` sorted by `order` (e.g. ["-opened_at", "-id"]).

    The last field of `order` must be unique, so that every row has its own position.
    """
    queryset = queryset.order_by(*order)
    if cursor:
        queryset = queryset.filter(_after(order, _decode(cursor, len(order)), queryset.model))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, _encode([getattr(last, name.lstrip("-")) for name in order])


def _after(order: list[str], values: list[Any], model: type[Model]) -> Q:
    """Return the condition "strictly after `values` in `order`"."""
    condition = Q()
    for index, name in enumerate(order):
        field = name.lstrip("-")
        value = _typed(model, field, values[index])
        step = Q(**{f"{field}__{'lt' if name.startswith('-') else 'gt'}": value})
        for earlier_name, earlier_value in zip(order[:index], values[:index], strict=True):
            earlier = earlier_name.lstrip("-")
            step &= Q(**{earlier: _typed(model, earlier, earlier_value)})
        condition |= step
    return condition


def _encode(values: list[Any]) -> str:
    plain = [value.isoformat() if isinstance(value, dt.date) else value for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise ApiError(422, "invalid_cursor", "The cursor is not valid: pass the next_cursor "
                       "of a previous response unchanged.", "cursor")
    return values


def _typed(model: type[Model], field: str, value: Any) -> Any:
    kind = cast("Field[Any, Any]", model._meta.get_field(field)).get_internal_type()
    try:
        if kind == "DateTimeField":
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError(value)
            # astimezone raises OverflowError when the UTC time falls outside years 1 to 9999.
            return moment.astimezone(dt.UTC)
        if kind == "DateField":
            return dt.date.fromisoformat(value)
        if kind in {"BigAutoField", "AutoField", "IntegerField", "PositiveIntegerField"}:
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
                raise ValueError(value)
            return value
        # PostgreSQL rejects NUL characters in query parameters.
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError(value)
        return value
    except (TypeError, ValueError, OverflowError):
        raise ApiError(422, "invalid_cursor", "The cursor is not valid: pass the next_cursor "
                       "of a previous response unchanged.", "cursor") from None
