"""Background jobs of the social accounts, run by `heliograph-admin worker`."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heliograph.social.reminders import record_due_reminders


# Huey's decorators carry no annotations.
@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def record_reminders() -> int:
    """Record the maintenance reminder posts that are due (every minute)."""
    return record_due_reminders()
