from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "heliograph.social"
    label = "social"

    def ready(self) -> None:
        from heliograph.notifications import channels
        from heliograph.social.posting import MastodonChannel, XChannel

        channels.register(XChannel())
        channels.register(MastodonChannel())
