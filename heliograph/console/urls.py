"""The management console, on the main host under /console/.

Page sections live under /console/pages/<slug>/, so no console path can clash with a slug.
"""

from django.urls import include, path

from heliograph.console import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("", include("heliograph.console.urls_account")),
    path("", include("heliograph.social.urls_callback")),
    path("pages/<slug:slug>/", views.dashboard, name="dashboard"),
    path("pages/<slug:slug>/", include("heliograph.console.urls_page")),
    path("pages/<slug:slug>/", include("heliograph.console.urls_work")),
    path("pages/<slug:slug>/", include("heliograph.social.urls")),
]
