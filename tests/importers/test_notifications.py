"""An import moves history onto a page: it notifies none of the page's subscribers.

Without this, importing a page's past would e-mail every subscriber about every open incident
and every maintenance of the source, years old ones included. An update posted by hand in
Heliograph still notifies as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Maintenance, Page
from heliograph.domain.vocab import State, Status
from heliograph.notifications import subscribers
from heliograph.notifications.models import Delivery
from tests.importers.conftest import STATUSPAGE, report_rows

Run = Callable[..., str]


def subscribed_page(owner: Any) -> Page:
    actor = Actor.of_user(owner, via="test")
    page = pages.create_page("cloud", title="Cloud", owner=owner, time_zone="UTC", actor=actor)
    subscribers.add_subscriber(page, email="reader@example.com", services=None, actor=actor)
    return page


def test_import_records_no_deliveries(frozen: Any, run_import: Run, importer_user: Any) -> None:
    page = subscribed_page(importer_user)

    output = run_import("statuspage", "--page", "cloud", STATUSPAGE)

    assert report_rows(output)["incidents"][0] > 0
    assert Incident.objects.filter(page=page, closed_at__isnull=True).exists()
    assert Maintenance.objects.filter(page=page).exists()
    assert Delivery.objects.filter(page=page).count() == 0


def test_hand_posted_update_still_notifies(frozen: Any, run_import: Run,
                                           importer_user: Any) -> None:
    page = subscribed_page(importer_user)
    run_import("statuspage", "--page", "cloud", STATUSPAGE)
    incident = Incident.objects.filter(page=page, closed_at__isnull=True).first()
    assert incident is not None

    event = incidents.post_event(incident, text="Still on it.", state=State.MAJOR_OUTAGE,
                                 status=Status.IDENTIFIED,
                                 actor=Actor.of_user(importer_user, via="test"))

    assert list(Delivery.objects.filter(page=page).values_list("incident_event", flat=True)) == [
        event.pk]
