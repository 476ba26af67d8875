from django.urls import include, path

from heliograph.lib import observability, security
from heliograph.public import media
from heliograph.runstatus.urls import mount as runstatus_mount

urlpatterns = [
    path(".well-known/security.txt", security.security_txt, name="security-txt"),
    # ObservabilityMiddleware serves these three on any host before routing. The patterns
    # make them reversible and visible to tools that walk the URL configuration.
    path("healthz", observability.healthz, name="healthz"),
    path("readyz", observability.readyz, name="readyz"),
    path("metrics", observability.metrics_view, name="metrics"),
    path("api/v1/", include("heliograph.api.urls")),
    path("accounts/", include("heliograph.accounts.urls")),
    path("console/", include("heliograph.console.urls")),
    path("media/logos/<str:name>", media.logo, name="logo"),
    runstatus_mount(),
    path("", include("heliograph.public.urls")),
]
