from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "heliograph.notifications"
    label = "notifications"

    def ready(self) -> None:
        from heliograph.notifications import channels
        from heliograph.notifications.email import EmailChannel
        from heliograph.notifications.webhooks import WebhookChannel

        channels.register(EmailChannel())
        channels.register(WebhookChannel())
