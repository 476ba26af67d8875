from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "heliograph.console"
    label = "console"
