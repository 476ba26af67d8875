"""Create and configure pages, their members, services and service groups."""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.utils import timezone

from heliograph.domain import audit
from heliograph.domain.audit import Actor
from heliograph.domain.errors import Conflict, InvalidValue, RuleViolation
from heliograph.domain.models import Incident, Membership, Page, Role, Service, ServiceGroup
from heliograph.domain.validation import (
    check_choice,
    check_colour,
    check_domain,
    check_slug,
    check_text,
    check_time_zone,
)
from heliograph.domain.vocab import BannerColorRule, Theme

PAGE_FIELDS = [
    "slug", "title", "default_status_message", "time_zone", "banner_color_rule", "theme",
    "language", "custom_domain", "header_background", "header_text_color", "main_site_url",
    "support_email", "twitter_username", "is_private", "auto_maintenance",
    "subscriptions_enabled",
]
SERVICE_FIELDS = ["name", "description", "group", "position", "start_date"]

logger = logging.getLogger(__name__)


def create_page(slug: str, *, title: str, owner: Any, actor: Actor, **fields: Any) -> Page:
    """Create a page owned by `owner`, with any of the settings in `PAGE_FIELDS`."""
    values = clean_page_fields({"slug": slug, "title": title, **fields})
    with transaction.atomic():
        if Page.objects.filter(slug=values["slug"]).exists():
            raise Conflict("slug_taken", f"The slug {slug!r} is already taken.", field="slug")
        _check_domain_free(values.get("custom_domain"), None)
        page = Page.objects.create(**values)
        Membership.objects.create(page=page, user=owner, role=Role.OWNER)
        audit.record(page, actor, "page.create", page, after=audit.snapshot(page, PAGE_FIELDS))
    return page


def update_page(page: Page, changes: dict[str, Any], *, actor: Actor) -> Page:
    """Change some of a page's settings; unknown keys are rejected."""
    values = clean_page_fields(changes, partial=True)
    with transaction.atomic():
        locked = Page.objects.select_for_update().get(pk=page.pk)
        new_slug = values.get("slug", locked.slug)
        if new_slug != locked.slug and Page.objects.filter(slug=new_slug).exists():
            raise Conflict("slug_taken", f"The slug {new_slug!r} is already taken.",
                           field="slug")
        if values.get("custom_domain"):
            _check_domain_free(values["custom_domain"], locked.pk)
        before = audit.snapshot(locked, PAGE_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
        after = audit.snapshot(locked, PAGE_FIELDS)
        if after != before:
            changed = [name for name in PAGE_FIELDS if before[name] != after[name]]
            audit.record(locked, actor, "page.update", locked,
                         before={k: before[k] for k in changed},
                         after={k: after[k] for k in changed})
            # The record bumped the stored version of the row locked above by one.
            locked.version += 1
    for name in [*PAGE_FIELDS, "version", "updated_at"]:
        setattr(page, name, getattr(locked, name))
    return page


def delete_page(page: Page) -> dict[str, int]:
    """Delete a page, every row that belongs to it, and its logo files.

    The database cascade removes the page's services, incidents, maintenances, subscribers and
    webhook subscribers (with their addresses), deliveries and their attempts and posts,
    linked social accounts, invitations, memberships, import records and its audit log.
    API tokens and Runstatus keys lose their link to the page, so those limited to it alone
    grant nothing any more. Users keep their accounts. The logo files are removed after the rows,
    so a deletion that fails keeps them. Return the number of deleted rows
    per model label.
    """
    page_id, slug = page.pk, page.slug
    with transaction.atomic():
        locked = Page.objects.select_for_update().get(pk=page_id)
        logo_names = _logo_files(locked)
        _, deleted = locked.delete()
    # NOTE: inside a caller's transaction that later rolls back, the page comes back without
    # its logo file. Every caller (console, API, Runstatus API) runs this in autocommit mode.
    _delete_files(logo_names)
    logger.info("page %s (id %s) deleted with %s rows", slug, page_id, sum(deleted.values()))
    return deleted


def _logo_files(page: Page) -> list[str]:
    """Return the stored logo of the page and any earlier logo file left behind.

    Logo files are named logos/<page id>-<random>.<extension>, and page ids are not reused.
    """
    names = {page.logo.name} if page.logo.name else set()
    try:
        _, files = default_storage.listdir("logos")
    except FileNotFoundError:
        files = []
    names.update(f"logos/{name}" for name in files if name.startswith(f"{page.pk}-"))
    return sorted(names)


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("could not delete the logo file %s of a deleted page", name)


def clean_page_fields(values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Check and normalise page settings; raise `InvalidValue` naming the first bad one."""
    unknown = sorted(set(values) - set(PAGE_FIELDS))
    if unknown:
        raise InvalidValue("unknown_field", f"Unknown page setting {unknown[0]!r}.",
                           field=unknown[0])
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        cleaned[name] = _clean_page_field(name, value)
    return cleaned


def _clean_page_field(name: str, value: Any) -> Any:
    boolean = {"is_private", "auto_maintenance", "subscriptions_enabled"}
    if name in boolean:
        if not isinstance(value, bool):
            raise InvalidValue("invalid_boolean", f"{name} must be true or false.", field=name)
        return value
    if value is None and name in {"custom_domain"}:
        return None
    if not isinstance(value, str):
        raise InvalidValue("invalid_type", f"{name} must be a string.", field=name)
    match name:
        case "slug":
            return check_slug(value.strip())
        case "title":
            return check_text(value, field=name, max_length=200, multiline=False)
        case "default_status_message":
            return check_text(value, field=name, max_length=300, multiline=False)
        case "time_zone":
            return check_time_zone(value.strip())
        case "banner_color_rule":
            return _choice(value, BannerColorRule, name)
        case "theme":
            return _choice(value, Theme, name)
        case "language":
            codes = [code for code, _ in settings.LANGUAGES]
            if value not in codes:
                raise InvalidValue("invalid_language",
                                   f"{value!r} is not offered: use one of {', '.join(codes)}.",
                                   field=name)
            return value
        case "custom_domain":
            return _check_own_domain(check_domain(value)) if value.strip() else None
        case "header_background" | "header_text_color":
            return check_colour(value.strip(), field=name)
        case "main_site_url":
            return _check_url(value.strip(), name)
        case "support_email":
            return _check_email(value.strip(), name)
        case "twitter_username":
            return _check_twitter(value.strip().lstrip("@"), name)
    raise AssertionError(name)


def _choice(value: str, enum: type[BannerColorRule] | type[Theme], field: str) -> str:
    allowed = [member.value for member in enum]
    if value not in allowed:
        raise InvalidValue("invalid_choice",
                           f"{value!r} is not allowed for {field}: use one of "
                           f"{', '.join(allowed)}.", field=field)
    return value


def _check_url(value: str, field: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise InvalidValue("invalid_url", f"{value!r} is not an http or https URL.",
                           field=field) from None
    return value


def _check_email(value: str, field: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidValue("invalid_email", f"{value!r} is not an e-mail address.",
                           field=field) from None
    return value


def _check_twitter(value: str, field: str) -> str:
    if value and not (len(value) <= 15 and value.replace("_", "").isalnum() and value.isascii()):
        raise InvalidValue("invalid_username",
                           f"{value!r} is not an X user name: up to 15 letters, digits or _.",
                           field=field)
    return value


def _check_own_domain(domain: str) -> str:
    """Reject a domain that already belongs to the service's own addresses."""
    own = settings.HELIOGRAPH_DOMAIN
    if domain == own or domain.endswith(f".{own}"):
        raise InvalidValue(
            "invalid_domain",
            f"{domain!r} is an address of this service: a custom domain must be one of "
            f"your own, outside {own}.",
            field="custom_domain",
        )
    return domain


def _check_domain_free(domain: str | None, page_id: int | None) -> None:
    if not domain:
        return
    others = Page.objects.filter(custom_domain=domain)
    if page_id is not None:
        others = others.exclude(pk=page_id)
    if others.exists():
        raise Conflict("domain_taken", f"The domain {domain!r} is used by another page.",
                       field="custom_domain")


# Members


def set_member(page: Page, user: Any, role: Role, *, actor: Actor) -> Membership:
    """Give `user` a role on the page, adding them if needed."""
    role = check_choice(role, Role, field="role")
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            page=page, user=user, defaults={"role": role}
        )
        before = None if created else {"role": membership.role}
        if not created and membership.role != role:
            if membership.role == Role.OWNER:
                _keep_an_owner(page, excluding=membership)
            membership.role = role
            membership.save(update_fields=["role"])
        audit.record(page, actor, "member.set", membership, before=before,
                     after={"user": user.email, "role": str(role)})
    return membership


def remove_member(page: Page, user: Any, *, actor: Actor) -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(page=page, user=user).first()
        if membership is None:
            return
        if membership.role == Role.OWNER:
            _keep_an_owner(page, excluding=membership)
        audit.record(page, actor, "member.remove", membership,
                     before={"user": user.email, "role": membership.role})
        membership.delete()


def _keep_an_owner(page: Page, *, excluding: Membership) -> None:
    others = Membership.objects.filter(page=page, role=Role.OWNER).exclude(pk=excluding.pk)
    if not others.exists():
        raise RuleViolation("last_owner", "A page needs at least one owner: add another "
                            "owner before removing this one.", field="role")


# Services and groups


def add_service(
    page: Page,
    *,
    name: str,
    description: str = "",
    group: ServiceGroup | None = None,
    position: int | None = None,
    start_date: dt.date | None = None,
    actor: Actor,
) -> Service:
    """Add a service; it reports figures from `start_date`, by default today in the page's zone."""
    name = check_text(name, field="name", max_length=100, multiline=False)
    description = check_text(description, field="description", max_length=2000, required=False)
    _check_group(page, group)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(page.time_zone)).date()
    with transaction.atomic():
        _check_name_free(page, name, None)
        if position is None:
            position = _next_position(page)
        service = Service.objects.create(
            page=page, name=name, description=description, group=group, position=position,
            start_date=start_date or today,
        )
        audit.record(page, actor, "service.add", service,
                     after=audit.snapshot(service, SERVICE_FIELDS))
    return service


def update_service(service: Service, changes: dict[str, Any], *, actor: Actor) -> Service:
    """Rename, describe, regroup, move or change the first day of a service."""
    page = service.page
    unknown = sorted(set(changes) - set(SERVICE_FIELDS))
    if unknown:
        raise InvalidValue("unknown_field", f"Unknown service field {unknown[0]!r}.",
                           field=unknown[0])
    if "name" in changes:
        changes["name"] = check_text(changes["name"], field="name", max_length=100, multiline=False)
    if "description" in changes:
        changes["description"] = check_text(changes["description"] or "", field="description",
                                            max_length=2000, required=False)
    if "group" in changes:
        _check_group(page, changes["group"])
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        if "name" in changes:
            _check_name_free(page, changes["name"], locked.pk)
        if "start_date" in changes and changes["start_date"] > locked.start_date:
            _check_history_after(page, locked, changes["start_date"])
        before = audit.snapshot(locked, SERVICE_FIELDS)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save()
        after = audit.snapshot(locked, SERVICE_FIELDS)
        if after != before:
            audit.record(page, actor, "service.update", locked, before=before, after=after)
    for name in SERVICE_FIELDS:
        setattr(service, name, getattr(locked, name))
    return service


def remove_service(service: Service, *, actor: Actor) -> None:
    """Remove a service; incidents and maintenances stay, without it."""
    with transaction.atomic():
        audit.record(service.page, actor, "service.remove", service,
                     before=audit.snapshot(service, SERVICE_FIELDS))
        service.delete()


def reorder_services(page: Page, ordered_ids: Sequence[int], *, actor: Actor) -> None:
    """Give the page's services the order of `ordered_ids`, which must name each once."""
    with transaction.atomic():
        current = list(Service.objects.select_for_update().filter(page=page))
        if sorted(ordered_ids) != sorted(service.pk for service in current):
            raise InvalidValue("invalid_order", "The order must list every service of the page "
                               "exactly once.", field="services")
        by_id = {service.pk: service for service in current}
        before = [service.pk for service in sorted(current, key=lambda s: (s.position, s.pk))]
        for position, service_id in enumerate(ordered_ids):
            by_id[service_id].position = position
        Service.objects.bulk_update(current, ["position"])
        audit.record(page, actor, "service.reorder", None, before={"order": before},
                     after={"order": list(ordered_ids)})


def add_group(page: Page, *, name: str, position: int | None = None,
              actor: Actor) -> ServiceGroup:
    name = check_text(name, field="name", max_length=100, multiline=False)
    with transaction.atomic():
        if ServiceGroup.objects.annotate(lower=Lower("name")).filter(
            page=page, lower=Lower(Value(name))
        ).exists():
            raise Conflict("duplicate_name", f"A group named {name!r} already exists.",
                           field="name")
        if position is None:
            position = ServiceGroup.objects.filter(page=page).count()
        group = ServiceGroup.objects.create(page=page, name=name, position=position)
        audit.record(page, actor, "group.add", group, after={"name": name})
    return group


def remove_group(group: ServiceGroup, *, actor: Actor) -> None:
    """Remove a group; its services stay, ungrouped."""
    with transaction.atomic():
        audit.record(group.page, actor, "group.remove", group, before={"name": group.name})
        group.delete()


def _check_group(page: Page, group: ServiceGroup | None) -> None:
    if group is not None and group.page_id != page.pk:
        raise InvalidValue("unknown_group", "No such group on this page.", field="group")


def _check_name_free(page: Page, name: str, service_id: int | None) -> None:
    others = Service.objects.filter(page=page)
    if service_id is not None:
        others = others.exclude(pk=service_id)
    # The database lowers both sides as the unique index does, which is ASCII only on SQLite.
    # The folded comparison also catches names that differ only in width or Unicode case.
    clash = others.annotate(lower=Lower("name")).filter(lower=Lower(Value(name)))
    folded = {_folded(other) for other in others.values_list("name", flat=True)}
    if clash.exists() or _folded(name) in folded:
        raise Conflict("duplicate_name",
                       f"A service named {name!r} already exists on this page: choose another "
                       "name.", field="name")


def _check_history_after(page: Page, service: Service, start_date: dt.date) -> None:
    """Reject a first day later than the service's earliest recorded incident."""
    affecting = Incident.objects.filter(
        Q(services=service) | Q(events__services=service), page=page
    )
    earliest = affecting.order_by("opened_at").values_list("opened_at", flat=True).first()
    if earliest is None:
        return
    first_incident_day = earliest.astimezone(zoneinfo.ZoneInfo(page.time_zone)).date()
    if start_date > first_incident_day:
        raise Conflict(
            "start_after_history",
            f"The service has an incident on {first_incident_day.isoformat()}: its first day "
            "cannot be later than that, or the incident would drop out of the figures.",
            field="start_date",
        )


def _folded(name: str) -> str:
    """Return the form in which names that read the same compare equal (full-width "API" and
    "api", "Straße" and "STRASSE")."""
    return unicodedata.normalize("NFKC", name).casefold()


def _next_position(page: Page) -> int:
    last = Service.objects.filter(page=page).order_by("-position").first()
    return last.position + 1 if last is not None else 0

