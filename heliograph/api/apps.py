from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "heliograph.api"
    label = "api"
