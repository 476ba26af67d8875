"""Placeholder views for console sections still being built."""

from django.http import HttpRequest, HttpResponse

from heliograph.console.access import console_view, member_page


@console_view
def not_built(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Not built yet.", status=501, content_type="text/plain")


@console_view
def not_built_for_page(request: HttpRequest, slug: str) -> HttpResponse:
    member_page(request, slug)
    return HttpResponse("Not built yet.", status=501, content_type="text/plain")
