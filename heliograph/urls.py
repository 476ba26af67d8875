from django.urls import include, path

from heliograph.public import media

urlpatterns = [
    path("api/v1/", include("heliograph.api.urls")),
    path("accounts/", include("heliograph.accounts.urls")),
    path("console/", include("heliograph.console.urls")),
    path("media/logos/<str:name>", media.logo, name="logo"),
    path("", include("heliograph.public.urls")),
]
