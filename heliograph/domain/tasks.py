"""Background jobs of the domain, run by `heliograph-admin worker`."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heliograph.domain.maintenances import advance_due_maintenances


@db_periodic_task(crontab(minute="*"))
def advance_maintenances() -> int:
    """Start and complete the maintenances that follow their window (every minute)."""
    return len(advance_due_maintenances())


@db_periodic_task(crontab(minute="*/10"))
def store_day_figures() -> int:
    """Store each page's finished days in the per-day figures table (every 10 minutes)."""
    from heliograph.domain.day_figures import advance
    from heliograph.domain.models import Page

    pages = list(Page.objects.all())
    for page in pages:
        advance(page)
    return len(pages)
