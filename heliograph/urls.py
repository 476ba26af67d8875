from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("heliograph.api.urls")),
    path("accounts/", include("heliograph.accounts.urls")),
    path("console/", include("heliograph.console.urls")),
    path("", include("heliograph.public.urls")),
]
