from django.apps import AppConfig


class DomainConfig(AppConfig):
    name = "heliograph.domain"
    label = "domain"

    def ready(self) -> None:
        from heliograph.domain import day_figures, service_times

        day_figures.connect()
        service_times.connect()
