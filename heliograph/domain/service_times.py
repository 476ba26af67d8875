"""Keep each service's `changed_at`: when an incident or maintenance listing it last changed.

The status JSON gives every component an `updated_at`. Reading it from the incidents and
maintenances on each request costs more as a service's history grows, so the time is stored on
the service and recomputed, in the writer's transaction, for the services that a change touches:

- saving or deleting an incident or maintenance recomputes the services it lists (before the
  change and after it);
- adding or removing services of an incident or maintenance recomputes those services;
- a bulk insert, which sends no signals, is followed by `rebuild(page)`.

A recomputation reads only the services it is given, so a write costs a few queries whatever
the page's history; the public reads cost none.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from heliograph.domain.models import Incident, Maintenance, Page, Service

# The services an instance listed before its deletion, kept on the instance between the
# pre_delete and post_delete signals (the links are gone by the time post_delete runs).
_LISTED_BEFORE = "_heliograph_listed_services"


def _latest_change() -> Greatest:
    """Build the expression of a service's latest incident or maintenance change, or NULL."""
    incident = (Incident.objects.filter(services=OuterRef("pk")).order_by("-updated_at")
                .values("updated_at")[:1])
    maintenance = (Maintenance.objects.filter(services=OuterRef("pk")).order_by("-updated_at")
                   .values("updated_at")[:1])
    # Greatest() is NULL when either side is NULL on SQLite and PostgreSQL alike, so each side
    # falls back to the other.
    return Greatest(Coalesce(Subquery(incident), Subquery(maintenance)),
                    Coalesce(Subquery(maintenance), Subquery(incident)))


def refresh(service_ids: Iterable[int]) -> None:
    """Recompute `changed_at` of the given services from their incidents and maintenances."""
    ids = sorted(set(service_ids))
    if ids:
        Service.objects.filter(pk__in=ids).update(changed_at=_latest_change())


def rebuild(page: Page) -> None:
    """Recompute `changed_at` of every service of `page`, after writes that sent no signals."""
    Service.objects.filter(page=page).update(changed_at=_latest_change())


def _listed(instance: Incident | Maintenance) -> list[int]:
    if instance.pk is None:
        return []
    return list(instance.services.values_list("pk", flat=True))


def _saved(sender: Any, instance: Incident | Maintenance, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    refresh(_listed(instance))


def _deleting(sender: Any, instance: Incident | Maintenance, **kwargs: Any) -> None:
    setattr(instance, _LISTED_BEFORE, _listed(instance))


def _deleted(sender: Any, instance: Incident | Maintenance, **kwargs: Any) -> None:
    refresh(getattr(instance, _LISTED_BEFORE, []))


def _links_changed(sender: Any, instance: Any, action: str, reverse: bool,
                   pk_set: set[int] | None, **kwargs: Any) -> None:
    if reverse:
        # `service.incidents.add(...)` and the like: the instance is the service.
        if action in {"post_add", "post_remove", "post_clear"}:
            refresh([instance.pk])
        return
    if action == "pre_clear":
        setattr(instance, _LISTED_BEFORE, _listed(instance))
    elif action == "post_clear":
        refresh(getattr(instance, _LISTED_BEFORE, []))
    elif action in {"post_add", "post_remove"}:
        refresh(pk_set or [])


def connect() -> None:
    """Connect the handlers that keep `Service.changed_at` in step with its incidents."""
    for model in (Incident, Maintenance):
        name = model.__name__.lower()
        post_save.connect(_saved, sender=model, dispatch_uid=f"service_times.{name}")
        pre_delete.connect(_deleting, sender=model, dispatch_uid=f"service_times.{name}_deleting")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"service_times.{name}_deleted")
        m2m_changed.connect(_links_changed, sender=model.services.through,
                            dispatch_uid=f"service_times.{name}_services")
