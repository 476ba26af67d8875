"""Background jobs of the domain, run by `heliograph-admin worker`."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heliograph.domain.maintenances import advance_due_maintenances


@db_periodic_task(crontab(minute="*"))
def advance_maintenances() -> int:
    """Start and complete the maintenances that follow their window (every minute)."""
    return len(advance_due_maintenances())
