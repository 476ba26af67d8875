from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """Snapshots of a whole installation (database, uploads, generated key) and their restore."""

    name = "heliograph.backups"
