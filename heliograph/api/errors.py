"""Every API error as JSON `{"code", "message", "field"}` with a fitting status."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from heliograph.domain.errors import DomainError

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error raised by a handler, answered as it is."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field}


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn exceptions into JSON errors."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, error_body(exc.code, exc.message, exc.field))

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return respond(request, exc.http_status, error_body(exc.code, exc.message, exc.field))

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return respond(request, 422, describe_validation(exc.errors))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = error_body(
            "unauthorized",
            "Missing or invalid token: send 'Authorization: Bearer <token>' with a token "
            "created by 'heliograph-admin token create'.",
        )
        response = respond(request, 401, body)
        response["WWW-Authenticate"] = 'Bearer realm="heliograph"'
        return response

    @api.exception_handler(AuthorizationError)
    def forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return respond(request, 403, error_body("forbidden", str(exc)))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", "Not found."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, 413, error_body(
            "body_too_large", "The request body is larger than the server accepts."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = "invalid_json" if exc.status_code == 400 else "http_error"
        message = str(exc)
        if exc.status_code == 400:
            message = "The request body is not valid JSON: send a JSON object."
        return respond(request, exc.status_code, error_body(code, message))


# Fixes appended to pydantic's messages for the mistakes clients make most.
_HINTS = {
    "timezone_aware": "give a time with a UTC offset, such as 2026-03-01T14:02:00+01:00",
    "datetime_from_date_parsing": "give an ISO 8601 time such as 2026-03-01T14:02:00Z",
    "datetime_parsing": "give an ISO 8601 time such as 2026-03-01T14:02:00Z",
    "date_from_datetime_parsing": "give a date as YYYY-MM-DD",
    "extra_forbidden": "remove it; the API documents every accepted key",
    "missing": "add it",
}


def describe_validation(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the first schema error as our error shape, with every error listed in `errors`."""
    details = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        # Ninja prefixes the source and, for bodies, the parameter name ("body", "payload").
        if location and location[0] in {"body", "query", "path", "header", "form"}:
            source = location[0]
            location = location[2:] if source == "body" and len(location) > 1 else location[1:]
        message = error.get("msg", "")
        hint = _HINTS.get(error.get("type", ""))
        if hint:
            message = f"{message}: {hint}"
        details.append({"field": ".".join(location) or None, "message": message})
    first = details[0] if details else {"field": None, "message": "Invalid request."}
    field = first["field"]
    message = f"{field}: {first['message']}" if field else first["message"]
    body = error_body("invalid", message, field)
    body["errors"] = details
    return body
