"""Background jobs of the outbox, run by `heliograph-admin worker`."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from heliograph.notifications.sending import send_due

# Retries of a subscription e-mail whose SMTP server failed, and the delay between them.
MAIL_RETRIES = 3
MAIL_RETRY_DELAY_SECONDS = 60


@db_task()
def send_deliveries() -> int:
    """Send the deliveries that are due; enqueued when a transaction records new ones."""
    return send_due()


@db_periodic_task(crontab(minute="*"))
def sweep_deliveries() -> int:
    """Send every delivery that is due (every minute): retries, and any left after a restart."""
    return send_due()


@db_task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY_SECONDS)
def send_subscription_mail(subscriber_id: int, kind: str) -> bool:
    """Send the confirmation or manage e-mail; return False if the subscriber has gone."""
    from heliograph.notifications.email import deliver, subscription_message
    from heliograph.notifications.models import Subscriber

    subscriber = Subscriber.objects.select_related("page").filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    deliver(subscription_message(subscriber, kind))
    return True
