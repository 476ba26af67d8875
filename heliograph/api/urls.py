"""The management API v1, with its OpenAPI document at /api/v1/openapi.json."""

from django.urls import path
from ninja import NinjaAPI

from heliograph.api import errors
from heliograph.api.auth import TokenAuth
from heliograph.api.routes import incidents, maintenances, pages, services, status

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

urlpatterns = [path("", api.urls)]
