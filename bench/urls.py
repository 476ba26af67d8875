"""Two endpoints that go through Heliograph's whole middleware stack, used only by bench/run.py."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from heliograph.domain.models import Page, Service


def status_json(request: HttpRequest) -> JsonResponse:
    """Return a small fixed JSON document: the cost of the server and Django alone."""
    return JsonResponse({"status": {"indicator": "none", "description": "All systems operational"}})


def services_json(request: HttpRequest) -> JsonResponse:
    """Return the pages and services read from the database: two queries per request."""
    pages = list(Page.objects.values("slug", "title"))
    services = list(Service.objects.values("name", "page__slug"))
    return JsonResponse({"pages": pages, "services": services})


urlpatterns = [
    path("bench/status.json", status_json),
    path("bench/services.json", services_json),
    path("", include("heliograph.urls")),
]
