from django.apps import AppConfig


class RunstatusConfig(AppConfig):
    """The Runstatus-compatible API, its signed credentials, and the public `api.json`."""

    name = "heliograph.runstatus"
