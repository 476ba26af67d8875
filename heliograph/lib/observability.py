"""Request ids, structured logs, request metrics, and the health, readiness and metrics endpoints.

`ObservabilityMiddleware` is the outermost middleware. It gives each request an id (the
client's `X-Request-ID` when it is a short token, a new UUID otherwise), echoes it in the
response, keeps it and the page's slug in context variables for every log record written while
the request runs, records the request's metrics, and serves `/healthz`, `/readyz` and
`/metrics` itself. Serving them before the host checks lets a load balancer or Prometheus use
the machine's address as the host name.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hmac
import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.encoding import escape_uri_path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from heliograph.lib import metrics

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is kept when it is a plain token of this shape, so that it cannot break a log
# line or smuggle a header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# The methods of RFC 9110 and PATCH; any other is counted and logged as "other".
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
                            "CONNECT"})

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
page_slug_var: contextvars.ContextVar[str] = contextvars.ContextVar("page_slug", default="")

access_logger = logging.getLogger("heliograph.access")
logger = logging.getLogger(__name__)


def request_id_from(request: HttpRequest) -> str:
    """Return the client's `X-Request-ID` when it is sane, else a new random UUID (hex)."""
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if _SANE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class ObservabilityMiddleware:
    """Tag the request with an id, serve the operability endpoints, log and measure the rest."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.endpoints: dict[str, Callable[[HttpRequest], HttpResponseBase]] = {
            "/healthz": healthz,
            "/readyz": readyz,
            "/metrics": metrics_view,
        }

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        id_token = request_id_var.set(request_id)
        page_token = page_slug_var.set("")
        started = time.perf_counter()
        try:
            endpoint = self.endpoints.get(request.path_info)
            if endpoint is not None:
                response = endpoint(request)
                route = request.path_info.lstrip("/")
            else:
                response = self.get_response(request)
                route = _route_name(request)
            seconds = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = request_id
            metrics.observe_request(route, _method_label(request), response.status_code,
                                    seconds)
            if settings.HELIOGRAPH_ACCESS_LOG and endpoint is None:
                _log_access(request, response, route, seconds)
            return response
        finally:
            page_slug_var.reset(page_token)
            request_id_var.reset(id_token)

    def process_view(self, request: HttpRequest, view: Callable[..., Any],
                     args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Record the page's slug before the view runs, for the log records it writes."""
        slug = kwargs.get("slug")
        if not isinstance(slug, str):
            slug = _host_page_slug(request)
        if slug:
            page_slug_var.set(slug)


def _host_page_slug(request: HttpRequest) -> str:
    # PageHostMiddleware has matched the host already, so reading its result costs no query.
    match = getattr(request, "heliograph_host", None)
    page = getattr(match, "page", None)
    return getattr(page, "slug", "") or ""


def _route_name(request: HttpRequest) -> str:
    """Return the URL pattern's name, so that metrics have one series per route, not per URL."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return str(match.view_name or match._func_path)


def _method_label(request: HttpRequest) -> str:
    """Return the method for the metrics' label: a standard one, else "other".

    A client may send any token as its method, and each new label value would add series.
    """
    method = request.method or ""
    return method if method in _KNOWN_METHODS else "other"


def _log_access(request: HttpRequest, response: HttpResponseBase, route: str,
                seconds: float) -> None:
    level = logging.ERROR if response.status_code >= 500 else logging.INFO
    # The path as sent on the wire, percent-encoded: a decoded %0D%0A would start a forged
    # line in the plain log format.
    path = escape_uri_path(request.path)
    method = _method_label(request)
    access_logger.log(
        level, "%s %s %s", method, path, response.status_code,
        extra={"method": method, "path": path, "route": route,
               "status": response.status_code, "duration_ms": round(seconds * 1000, 2)},
    )


# Logging


class RequestContextFilter(logging.Filter):
    """Add the current request's id and page slug to every record (empty outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.page = page_slug_var.get()
        return True


# Attributes that every LogRecord has. Any other attribute came from `extra=` and becomes a
# field of its own in the JSON object.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "page", "taskName",
}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line.

    The fields are timestamp (UTC, ISO 8601 with milliseconds), level, logger, message,
    request_id and page, then any `extra=` fields, then `exception` with the traceback.
    """

    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
        entry: dict[str, Any] = {
            "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id_var.get(),
            "page": getattr(record, "page", "") or page_slug_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


# Endpoints


@csrf_exempt
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Return 200 while the process handles requests. It touches neither database nor cache."""
    response = HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Check the database, the cache and the task queue, and name each failed part in a 503."""
    checks = {"database": _check_database, "cache": _check_cache, "queue": _check_queue}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as error:  # each backend raises its own errors; all mean "not ready"
            logger.warning("Readiness check of the %s failed: %s: %s",
                           name, type(error).__name__, error)
            results[name] = f"failed ({type(error).__name__})"
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    failed = [name for name, result in results.items() if result != "ok"]
    body: dict[str, Any] = {"status": "ready" if ready else "unavailable", "checks": results}
    if failed:
        body["failed"] = failed
    response = JsonResponse(body, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    return response


def _check_database() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    from django.core.cache import cache

    key = f"heliograph:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    stored = cache.get(key)
    cache.delete(key)
    if stored != "1":
        raise RuntimeError("the cache did not return a value just written")


def _check_queue() -> None:
    from huey.contrib.djhuey import HUEY

    HUEY.pending_count()


@csrf_exempt
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Serve the metrics to an allowed network or to a request with the configured token."""
    if not metrics_allowed(request):
        response = HttpResponse(
            "Metrics are served only to the networks in HELIOGRAPH_METRICS_ALLOW_NETWORKS, or "
            "with the header 'Authorization: Bearer <HELIOGRAPH_METRICS_TOKEN>'.\n",
            status=403, content_type="text/plain; charset=utf-8",
        )
        return response
    body, content_type = metrics.render_metrics()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


def metrics_allowed(request: HttpRequest) -> bool:
    """Allow a request that bears the metrics token, or a direct one from an allowed network.

    A request that carries `X-Forwarded-For` or `Forwarded` came through a proxy, whose own
    address does not identify the client, so only the token admits it.
    """
    token: str = settings.HELIOGRAPH_METRICS_TOKEN
    if token:
        offered = request.headers.get("Authorization", "")
        if hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
            return True
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(network)
               for network in settings.HELIOGRAPH_METRICS_ALLOW_NETWORKS)
