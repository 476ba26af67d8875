"""A page's services, incidents and maintenances."""

from django.urls import path

from heliograph.console import stubs

urlpatterns = [
    path("services/", stubs.not_built_for_page, name="services"),
    path("incidents/", stubs.not_built_for_page, name="incidents"),
    path("maintenances/", stubs.not_built_for_page, name="maintenances"),
]
