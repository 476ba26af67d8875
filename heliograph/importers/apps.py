from django.apps import AppConfig


class ImportersConfig(AppConfig):
    """Importers of pages published by Statuspage and Cachet."""

    name = "heliograph.importers"
