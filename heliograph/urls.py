from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("heliograph.api.urls")),
    path("", include("heliograph.public.urls")),
]
