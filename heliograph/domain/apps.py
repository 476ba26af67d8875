from django.apps import AppConfig


class DomainConfig(AppConfig):
    name = "heliograph.domain"
    label = "domain"
