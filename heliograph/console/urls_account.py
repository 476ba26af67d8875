"""Console paths that belong to the user rather than to one page: new page, API tokens."""

from django.urls import path

from heliograph.console import stubs

urlpatterns = [
    path("new/", stubs.not_built, name="new-page"),
    path("tokens/", stubs.not_built, name="tokens"),
]
