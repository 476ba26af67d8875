"""Background jobs of the static export, run by `heliograph-admin worker`."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from heliograph.export.following import behind_page_ids, reexport_if_changed


@db_task()
def reexport(page_id: int) -> int:
    """Export a followed page again if it changed since its last export."""
    return reexport_if_changed(page_id)


@db_periodic_task(crontab(minute="*"))
def sweep_exports() -> int:
    """Export every followed page still behind (every minute): failures and lost tasks."""
    return sum(reexport_if_changed(page_id) for page_id in behind_page_ids())
