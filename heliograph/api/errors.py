"""Every API error as JSON `{"code", "message", "field"}` with a fitting status."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from heliograph.domain.errors import DomainError

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error raised by a handler and returned to the client unchanged."""

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
        return respond(request, exc.http_status,
                       error_body(exc.code, exc.message, exc.field))

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
            "body_too_large",
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes, "
            "the most the server accepts: send less."))

    @api.exception_handler(IntegrityError)
    def integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # The domain checks uniqueness before writing, so this is a concurrent write or a gap
        # in those checks. The transaction was rolled back, so nothing was stored.
        logger.warning("integrity error on %s %s: %s", request.method, request.path, exc)
        field = _constraint_field(str(exc))
        return respond(request, 409, error_body(
            "conflict", "The change clashes with stored data"
            + (f" in {field}" if field else "") + ": choose another value or retry.", field))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Logged with its traceback here because the JSON response replaces Django's error page.
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return respond(request, 500, error_body(
            "server_error", "The server failed to handle the request; it has been logged."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = "invalid_json" if exc.status_code == 400 else "http_error"
        message = str(exc)
        if exc.status_code == 400:
            message = "The request body is not valid JSON: send a JSON object."
        return respond(request, exc.status_code, error_body(code, message))


def unknown_path(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Return 404 in the API's error shape for a path under the API that no route matches."""
    return JsonResponse(error_body(
        "not_found", f"No API route matches {request.path}: see /api/v1/openapi.json."),
        status=404)


def json_method_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap a route's view so that a 405 Method Not Allowed response has the error shape too."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response.get("Allow", "")
        replaced = JsonResponse(error_body(
            "method_not_allowed", f"{request.method} is not allowed here: use {allowed}."),
            status=405)
        replaced["Allow"] = allowed
        return replaced

    return wrapped


# Names of unique constraints, as SQLite and PostgreSQL quote them in their errors, and the
# input key each one guards.
_CONSTRAINT_FIELDS = {
    "service_group_unique_name": "group",
    "service_unique_name": "name",
    "domain_page_slug": "slug",
    "domain_page.slug": "slug",
    "domain_page_custom_domain": "custom_domain",
    "domain_page.custom_domain": "custom_domain",
}


def _constraint_field(message: str) -> str | None:
    return next((field for name, field in _CONSTRAINT_FIELDS.items() if name in message), None)


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
        if error.get("type") == "value_error":
            # Our own validators word the whole message; pydantic prefixes it with "Value error, ".
            message = message.removeprefix("Value error, ")
        if hint:
            message = f"{message}: {hint}"
        details.append({"field": ".".join(location) or None, "message": message})
    first = details[0] if details else {"field": None, "message": "Invalid request."}
    field = first["field"]
    message = f"{field}: {first['message']}" if field else first["message"]
    body = error_body("invalid", message, field)
    body["errors"] = details
    return body
