from typing import Any

from django.apps import AppConfig


class EdgeConfig(AppConfig):
    name = "heliograph.edge"
    label = "edge"

    def ready(self) -> None:
        from heliograph.domain.audit import page_changed

        page_changed.connect(_expire_versions, dispatch_uid="heliograph.edge.versions")


def _expire_versions(**kwargs: Any) -> None:
    # A change committed by this process is served by its next request.
    from heliograph.edge.versions import VERSIONS

    VERSIONS.expire()
