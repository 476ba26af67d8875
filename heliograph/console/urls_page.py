"""A page's settings, members and audit log."""

from django.urls import path

from heliograph.console import stubs

urlpatterns = [
    path("settings/", stubs.not_built_for_page, name="settings"),
    path("members/", stubs.not_built_for_page, name="members"),
    path("audit/", stubs.not_built_for_page, name="audit"),
]
