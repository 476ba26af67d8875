"""Which pages a Runstatus credential manages, and the lookups that keep handlers inside them.

A credential manages the pages on which its user is an editor or an owner (Runstatus had no
read-only keys), limited to its own `pages` unless it has `all_pages`. A page that exists but
is not managed gets a 403 response, and an unknown slug or id 404, as on Runstatus. So,
unlike the management API, this API reveals to a key holder which slugs exist; slugs are public
host names anyway.
"""

from __future__ import annotations

import re

from django.db.models import QuerySet

from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Maintenance, Membership, Page, Role, Service
from heliograph.runstatus.errors import forbidden, not_found
from heliograph.runstatus.models import Credential
from heliograph.runstatus.wire import incidents_with_events, maintenances_with_events

WRITERS = (Role.EDITOR, Role.OWNER)
# A slug that no page can have is not looked up: PostgreSQL rejects NUL characters in query
# parameters, and the response is 404 either way.
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Ids beyond this are not looked up: PostgreSQL rejects integers wider than 64 bits. ASCII
# digits only, because `int` also reads other scripts' digits (U+0661 is 1).
_ID = re.compile(r"[0-9]{1,18}")


def actor_of(credential: Credential) -> Actor:
    return Actor.of_user(credential.user, via=f"Runstatus key {credential.key}")


def managed_pages(credential: Credential) -> QuerySet[Page]:
    pages = Page.objects.filter(
        memberships__user=credential.user, memberships__role__in=WRITERS
    )
    if not credential.all_pages:
        pages = pages.filter(runstatus_credentials=credential)
    return pages


def get_page(credential: Credential, slug: str, *, need: Role = Role.EDITOR) -> Page:
    """Return the page `slug` if the credential manages it with at least the role `need`."""
    if not _SLUG.fullmatch(slug):
        raise not_found()
    page = Page.objects.filter(slug=slug).first()
    if page is None:
        raise not_found()
    if not managed_pages(credential).filter(pk=page.pk).exists():
        raise forbidden(_not_managed(credential, page))
    if need == Role.OWNER:
        role = Membership.objects.filter(page=page, user=credential.user).values_list(
            "role", flat=True).first()
        if role != Role.OWNER:
            raise forbidden(f"This needs the owner role on the page {slug!r}; the key's user "
                            f"is {role}.")
    return page


def get_service(page: Page, service_id: str) -> Service:
    service = Service.objects.filter(page=page, pk=_id(service_id)).first()
    if service is None:
        raise not_found()
    return service


def get_incident(page: Page, incident_id: str) -> Incident:
    incident = incidents_with_events(page).filter(pk=_id(incident_id)).first()
    if incident is None:
        raise not_found()
    return incident


def get_maintenance(page: Page, maintenance_id: str) -> Maintenance:
    maintenance = maintenances_with_events(page).filter(pk=_id(maintenance_id)).first()
    if maintenance is None:
        raise not_found()
    return maintenance


def _id(text: str) -> int:
    if not _ID.fullmatch(text):
        raise not_found()
    return int(text)


def _not_managed(credential: Credential, page: Page) -> str:
    role = Membership.objects.filter(page=page, user=credential.user).values_list(
        "role", flat=True).first()
    if role is None:
        return f"The key's user has no role on the page {page.slug!r}."
    if role == Role.VIEWER:
        return (f"The key's user is only a viewer of the page {page.slug!r}: Runstatus keys "
                "need the editor or owner role.")
    return (f"This key is restricted to other pages than {page.slug!r}: use a key that "
            "includes it.")
