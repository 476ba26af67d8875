from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "heliograph.notifications"
    label = "notifications"
