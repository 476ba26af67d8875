"""A root URLconf that mounts the Runstatus API at another prefix, as an operator may."""

from django.test import override_settings

from heliograph.runstatus.urls import mount

with override_settings(HELIOGRAPH_RUNSTATUS_PREFIX="status/runstatus-v1"):
    urlpatterns = [mount()]
