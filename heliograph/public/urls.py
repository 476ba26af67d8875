"""Public paths of a page, at a host's root and under `/p/<slug>/` on the main host."""

from django.urls import include, path

from heliograph.public import views

page_paths = [
    path("", views.front, name="front"),
    path("incidents/<int:incident_id>", views.incident, name="incident"),
    path("maintenances/<int:maintenance_id>", views.maintenance, name="maintenance"),
    path("history", views.history, name="history"),
    path("maintenances", views.past_maintenances, name="past-maintenances"),
    path("live", views.live, name="live"),
    path("favicon.svg", views.favicon, name="favicon"),
]

app_name = "public"
urlpatterns = [
    path("p/<slug:slug>/", include((page_paths, "public"), namespace="by-path")),
    *page_paths,
]
