from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "heliograph.public"
    label = "public"
