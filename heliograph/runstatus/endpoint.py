"""The view wrapper shared by every Runstatus API route: signature, method, errors.

Each route is `endpoint(get=..., post=...)`: the request is authenticated first, whatever its
method, then handed to the handler of its method with a `Call`. A handler returns a JSON
body or a response, and raises `Problem` or `DomainError` to respond with an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from heliograph.domain.audit import Actor
from heliograph.domain.errors import DomainError
from heliograph.runstatus.access import actor_of
from heliograph.runstatus.errors import NOT_FOUND, Problem, detail, from_domain
from heliograph.runstatus.inputs import Fields, json_body
from heliograph.runstatus.models import Credential
from heliograph.runstatus.signing import authenticate

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Call:
    """One authenticated request: what a handler needs besides the URL's arguments."""

    request: HttpRequest
    credential: Credential

    @property
    def actor(self) -> Actor:
        return actor_of(self.credential)

    def fields(self) -> Fields:
        return Fields(json_body(self.request))


@dataclass(frozen=True)
class Created:
    """A body to send with 201 Created."""

    body: dict[str, Any]


Handler = Callable[..., "dict[str, Any] | Created | HttpResponse"]


def endpoint(**handlers: Handler) -> View:
    """Return a view that authenticates the request and calls the handler of its method."""
    allowed = ", ".join(sorted(method.upper() for method in handlers))

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: str) -> HttpResponse:
        try:
            call = Call(request, authenticate(request))
            handler = handlers.get((request.method or "").lower())
            if handler is None:
                response = JsonResponse(
                    {"detail": f"Method {request.method!r} is not allowed here: use {allowed}."},
                    status=405,
                )
                response["Allow"] = allowed
                return response
            return _respond(handler(call, **kwargs))
        except Problem as problem:
            return problem.response()
        except DomainError as error:
            return from_domain(error).response()
        except RequestDataTooBig:
            return detail(413, f"The request body is larger than "
                          f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes, the most the server "
                          "accepts: send less.").response()
        except IntegrityError as error:
            # The domain checks uniqueness first, so this is a concurrent write; the
            # transaction was rolled back and nothing was stored.
            logger.warning("integrity error on %s %s: %s", request.method, request.path, error)
            return detail(400, "The change clashes with data stored at the same time: "
                          "retry it.").response()

    return view


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def unknown_path(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Return 404 for a path under the API's prefix that no route matches."""
    return JsonResponse({"detail": NOT_FOUND}, status=404)


def _respond(result: dict[str, Any] | Created | HttpResponse) -> HttpResponse:
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, Created):
        return JsonResponse(result.body, status=201)
    return JsonResponse(result)
