"""The management API v1, with its OpenAPI document at /api/v1/openapi.json."""

from django.urls import URLPattern, URLResolver, path, re_path
from ninja import NinjaAPI

from heliograph.api import errors
from heliograph.api.auth import TokenAuth
from heliograph.api.routes import (
    deliveries,
    incidents,
    maintenances,
    pages,
    services,
    status,
    subscribers,
)

api = NinjaAPI(
    title="Heliograph management API",
    version="1",
    description=(
        "Manage pages, services, incidents and maintenances. Authenticate with "
        "`Authorization: Bearer <token>`; errors are JSON `{code, message, field}`."
    ),
    auth=TokenAuth(),
    urls_namespace="api-v1",
    docs_url=None,
)
errors.install(api)
api.add_router("/pages", pages.router)
api.add_router("/pages", services.router)
api.add_router("/pages", incidents.router)
api.add_router("/pages", maintenances.router)
api.add_router("/pages", status.router)
api.add_router("/pages", deliveries.router)
api.add_router("/pages", subscribers.router)


def _routes() -> tuple[list[URLResolver | URLPattern], str, str]:
    """Return ninja's URL patterns, with 405 responses in the API's error shape."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            continue
        if str(pattern.pattern) == "":
            # Ninja reverses its root view to find the API's prefix, so the view stays, but
            # its own 404 response is HTML.
            pattern.callback = errors.unknown_path
        else:
            pattern.callback = errors.json_method_errors(pattern.callback)
    return patterns, app_name, namespace


urlpatterns = [
    path("", _routes()),
    # Every other path under /api/v1/ gets a 404 in the API's error shape, not an HTML page.
    re_path(r"^(?P<rest>.*)$", errors.unknown_path),
]
