from django.apps import AppConfig


class ExportConfig(AppConfig):
    name = "heliograph.export"
    label = "export"

    def ready(self) -> None:
        from heliograph.domain.audit import page_changed
        from heliograph.export.following import schedule_reexport

        page_changed.connect(schedule_reexport, dispatch_uid="heliograph.export.reexport")
