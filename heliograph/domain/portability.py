"""Write all of one page's data as a JSON document, and read such a document into a new page.

The document refers to services and groups by `ref` numbers local to it, and to people by
e-mail address, so it loads into any installation. Times are ISO 8601 in UTC with
microseconds, so a load keeps them exactly.

Left out on purpose: the delivery log, the audit log, invitations, API tokens, Runstatus
credentials and the import records, which belong to this installation or to users. The sealed
tokens of linked social accounts are left out too, because they only open under this
installation's SECRET_KEY. The accounts are listed so that an owner can link them again.
Subscriber tokens and webhook signing secrets are included, so that the links in e-mails
already sent and the receivers' signature checks keep working. Treat a dump as confidential.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, models, transaction

from heliograph.domain import audit
from heliograph.domain.audit import Actor
from heliograph.domain.errors import Conflict, DomainError, InvalidValue
from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Membership,
    Page,
    Role,
    Service,
    ServiceGroup,
)
from heliograph.domain.pages import PAGE_FIELDS, clean_page_fields
from heliograph.domain.validation import check_text
from heliograph.domain.vocab import MaintenanceStatus, State, Status

FORMAT = "heliograph-page"
VERSION = 1


# Dump


def dump_page(page: Page) -> dict[str, Any]:
    """Return the page's data as a JSON-ready document (see the module's docstring)."""
    from heliograph.notifications.models import Subscriber, WebhookSubscriber
    from heliograph.social.models import SocialAccount

    groups = list(ServiceGroup.objects.filter(page=page).order_by("position", "id"))
    group_refs = {group.pk: ref for ref, group in enumerate(groups, start=1)}
    services = list(Service.objects.filter(page=page).order_by("position", "id"))
    service_refs = {service.pk: ref for ref, service in enumerate(services, start=1)}

    def refs(related: Any) -> list[int]:
        return sorted(service_refs[pk] for pk in related.values_list("pk", flat=True))

    incidents = []
    for incident in (Incident.objects.filter(page=page).order_by("opened_at", "id")
                     .prefetch_related("events__author", "created_by")):
        events = list(incident.events.order_by("at", "id"))
        latest = next((index for index, event in enumerate(events)
                       if event.pk == incident.latest_event_id), None)
        incidents.append({
            "title": incident.title,
            "services": refs(incident.services),
            "state": incident.state,
            "status": incident.status,
            "opened_at": _time(incident.opened_at),
            "closed_at": _time(incident.closed_at),
            "backfilled": incident.backfilled,
            "post_mortem": incident.post_mortem,
            "created_by": _email(incident.created_by),
            "created_at": _time(incident.created_at),
            "updated_at": _time(incident.updated_at),
            "latest_event": latest,
            "events": [{
                "at": _time(event.at),
                "state": event.state,
                "status": event.status,
                "text": event.text,
                "services_override": event.services_override,
                "services": refs(event.services),
                "author": _email(event.author),
                "posted_at": _time(event.posted_at),
                "edited_at": _time(event.edited_at),
            } for event in events],
        })

    maintenances = []
    for maintenance in Maintenance.objects.filter(page=page).order_by("starts_at", "id"):
        maintenances.append({
            "title": maintenance.title,
            "description": maintenance.description,
            "starts_at": _time(maintenance.starts_at),
            "ends_at": _time(maintenance.ends_at),
            "status": maintenance.status,
            "services": refs(maintenance.services),
            "auto_transition": maintenance.auto_transition,
            "started_at": _time(maintenance.started_at),
            "completed_at": _time(maintenance.completed_at),
            "created_by": _email(maintenance.created_by),
            "created_at": _time(maintenance.created_at),
            "updated_at": _time(maintenance.updated_at),
            "events": [{
                "at": _time(event.at),
                "status": event.status,
                "text": event.text,
                "author": _email(event.author),
                "posted_at": _time(event.posted_at),
                "edited_at": _time(event.edited_at),
            } for event in maintenance.events.order_by("at", "id")],
        })

    return {
        "format": FORMAT,
        "version": VERSION,
        "page": {
            **{name: getattr(page, name) for name in PAGE_FIELDS},
            "created_at": _time(page.created_at),
            "updated_at": _time(page.updated_at),
            "logo": _logo(page),
        },
        "members": [
            {"email": membership.user.email, "role": membership.role,
             "created_at": _time(membership.created_at)}
            for membership in Membership.objects.filter(page=page).select_related("user")
            .order_by("user__email")
        ],
        "groups": [
            {"ref": group_refs[group.pk], "name": group.name, "position": group.position,
             "created_at": _time(group.created_at)}
            for group in groups
        ],
        "services": [
            {"ref": service_refs[service.pk], "name": service.name,
             "description": service.description,
             "group": group_refs.get(service.group_id) if service.group_id else None,
             "position": service.position, "start_date": service.start_date.isoformat(),
             "created_at": _time(service.created_at)}
            for service in services
        ],
        "incidents": incidents,
        "maintenances": maintenances,
        "subscribers": [
            {"email": subscriber.email, "all_services": subscriber.all_services,
             "services": refs(subscriber.services), "token": subscriber.token,
             "confirmed_at": _time(subscriber.confirmed_at),
             "created_at": _time(subscriber.created_at)}
            for subscriber in Subscriber.objects.filter(page=page).order_by("email", "id")
        ],
        "webhook_subscribers": [
            {"url": webhook.url, "flavour": webhook.flavour,
             "all_services": webhook.all_services, "services": refs(webhook.services),
             "secret": webhook.secret, "consecutive_failures": webhook.consecutive_failures,
             "last_failure": webhook.last_failure, "disabled_at": _time(webhook.disabled_at),
             "disabled_reason": webhook.disabled_reason,
             "created_at": _time(webhook.created_at)}
            for webhook in WebhookSubscriber.objects.filter(page=page).order_by("created_at", "id")
        ],
        # Without their tokens: `load_page` does not link them again.
        "social_accounts": [
            {"network": account.network, "instance_url": account.instance_url,
             "handle": account.handle, "max_characters": account.max_characters,
             "linked_at": _time(account.linked_at)}
            for account in SocialAccount.objects.filter(page=page).order_by("network")
        ],
    }


def _time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _email(user: Any) -> str | None:
    return user.email if user is not None else None


def _logo(page: Page) -> dict[str, str] | None:
    if not page.logo.name or not default_storage.exists(page.logo.name):
        return None
    with default_storage.open(page.logo.name, "rb") as handle:
        content = handle.read()
    extension = page.logo.name.rsplit(".", 1)[-1].lower()
    return {"extension": extension, "base64": base64.b64encode(content).decode("ascii")}


# Load


@dataclass
class Loaded:
    """The result of `load_page`: the new page, its row counts, and the data left out."""

    page: Page
    counts: dict[str, int] = field(default_factory=dict)
    # Member addresses with no account in this installation.
    missing_members: list[str] = field(default_factory=list)
    # Networks of linked social accounts, which must be linked again.
    unlinked_accounts: list[str] = field(default_factory=list)
    # Subscribers whose token was in use here and who got a new one.
    new_tokens: int = 0


def load_page(document: Any, *, slug: str | None = None, owner: Any = None,
              actor: Actor) -> Loaded:
    """Create a page from a `dump_page` document, in one transaction.

    `slug` replaces the document's slug, and `owner` (a user) becomes an owner besides the
    document's owners that have an account here. Raise `InvalidValue` whose `field` is the path
    of the bad value ("incidents[2].events[0].at"), or `Conflict` for a slug or domain in use.
    """
    reader = _Reader()
    root = reader.mapping(document, "")
    if root.get("format") != FORMAT or root.get("version") != VERSION:
        raise InvalidValue("invalid_format", f"Not a page dump: expected format {FORMAT!r} "
                           f"version {VERSION}.", field="format")
    page_data = reader.mapping(root.get("page"), "page")
    settings_values = {name: page_data[name] for name in PAGE_FIELDS if name in page_data}
    if slug is not None:
        settings_values["slug"] = slug
    try:
        cleaned = clean_page_fields(settings_values)
    except InvalidValue as error:
        raise InvalidValue(error.code, error.message, field=f"page.{error.field}") from None
    for required in ("slug", "title"):
        if required not in cleaned:
            raise InvalidValue("missing", f"page.{required} is missing.", field=f"page.{required}")
    logo = _check_logo(reader, page_data.get("logo"))

    stored_logo = None
    try:
        with transaction.atomic():
            page = _create_page(reader, cleaned, page_data)
            updated_at = page.updated_at
            if logo is not None:
                stored_logo = default_storage.save(f"logos/{page.pk}-loaded.{logo[1]}",
                                                   ContentFile(logo[0]))
                Page.objects.filter(pk=page.pk).update(logo=stored_logo)
                page.logo.name = stored_logo
            loaded = _fill(reader, root, page, owner)
            audit.record(page, actor, "page.load", page, after={
                "slug": page.slug, **loaded.counts,
            })
            # The audit record moved updated_at to now: the document's time is kept.
            Page.objects.filter(pk=page.pk).update(updated_at=updated_at)
    except BaseException:
        if stored_logo is not None:
            default_storage.delete(stored_logo)
        raise
    page.refresh_from_db()
    loaded.page = page
    return loaded


def _create_page(reader: _Reader, cleaned: dict[str, Any], data: Mapping[str, Any]) -> Page:
    if Page.objects.filter(slug=cleaned["slug"]).exists():
        raise Conflict("slug_taken", f"The slug {cleaned['slug']!r} is already taken: give "
                       "another one with --slug.", field="page.slug")
    domain = cleaned.get("custom_domain")
    if domain and Page.objects.filter(custom_domain=domain).exists():
        raise Conflict("domain_taken", f"The domain {domain!r} is used by another page.",
                       field="page.custom_domain")
    created = reader.time(data.get("created_at"), "page.created_at")
    try:
        # A savepoint, so that a load racing this one for the same slug or domain leaves the
        # outer transaction usable for the error below.
        with transaction.atomic():
            return Page.objects.create(
                **cleaned, created_at=created,
                updated_at=reader.time(data.get("updated_at"), "page.updated_at"),
            )
    except IntegrityError:
        raise Conflict("slug_taken", f"The slug {cleaned['slug']!r} or the page's domain was "
                       "taken while loading: give another slug with --slug, or try again.",
                       field="page.slug") from None


def _check_logo(reader: _Reader, value: Any) -> tuple[bytes, str] | None:
    """Decode the logo and check it as an upload would be; return its content and extension."""
    from heliograph.console import logos

    if value is None:
        return None
    logo = reader.mapping(value, "page.logo")
    encoded = reader.string(logo.get("base64"), "page.logo.base64")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidValue("invalid_logo", "page.logo.base64 is not valid base64.",
                           field="page.logo.base64") from None
    try:
        clean = logos.clean(SimpleUploadedFile("logo", content))
    except logos.LogoError as error:
        raise InvalidValue("invalid_logo", f"page.logo: {error}", field="page.logo") from None
    return clean.content, clean.extension


def _fill(reader: _Reader, root: Mapping[str, Any], page: Page, owner: Any) -> Loaded:
    from heliograph.social.models import Network

    loaded = Loaded(page=page)
    users = _Users()
    _load_members(reader, root, page, owner, users, loaded)
    groups = _load_groups(reader, root, page)
    services = _load_services(reader, root, page, groups)
    loaded.counts = {"groups": len(groups), "services": len(services)}
    loaded.counts["incidents"] = _load_incidents(reader, root, page, services, users)
    loaded.counts["maintenances"] = _load_maintenances(reader, root, page, services, users)
    loaded.counts["subscribers"] = _load_subscribers(reader, root, page, services, loaded)
    loaded.counts["webhook_subscribers"] = _load_webhooks(reader, root, page, services)
    for index, item in enumerate(reader.items(root, "social_accounts")):
        account = reader.mapping(item, f"social_accounts[{index}]")
        loaded.unlinked_accounts.append(
            reader.choice(account.get("network"), Network.values,
                          f"social_accounts[{index}].network"))
    return loaded


class _Users:
    """Users of this installation by e-mail address, looked up once each."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {}

    def get(self, email: str | None) -> Any:
        if not email:
            return None
        key = email.lower()
        if key not in self.found:
            self.found[key] = get_user_model().objects.filter(email__iexact=key).first()
        return self.found[key]


def _load_members(reader: _Reader, root: Mapping[str, Any], page: Page, owner: Any,
                  users: _Users, loaded: Loaded) -> None:
    roles: dict[Any, tuple[str, dt.datetime | None]] = {}
    for index, item in enumerate(reader.items(root, "members")):
        path = f"members[{index}]"
        member = reader.mapping(item, path)
        email = reader.prose(member.get("email"), f"{path}.email")
        role = reader.choice(member.get("role"), Role.values, f"{path}.role")
        joined = reader.optional_time(member.get("created_at"), f"{path}.created_at")
        user = users.get(email)
        if user is None:
            loaded.missing_members.append(email)
            continue
        roles[user] = (role, joined)
    if owner is not None:
        roles[owner] = (Role.OWNER, roles.get(owner, (Role.OWNER, None))[1])
    if Role.OWNER not in {role for role, _ in roles.values()}:
        missing = ", ".join(loaded.missing_members) or "none listed"
        raise InvalidValue(
            "no_owner", f"None of the page's owners has an account here (members without "
            f"one: {missing}): create one with `heliograph-admin createuser`, or name an owner.",
            field="owner",
        )
    for user, (role, joined) in roles.items():
        Membership.objects.create(page=page, user=user, role=role,
                                  created_at=joined or page.created_at)


def _load_groups(reader: _Reader, root: Mapping[str, Any], page: Page) -> dict[int, ServiceGroup]:
    groups: dict[int, ServiceGroup] = {}
    names: set[str] = set()
    for index, item in enumerate(reader.items(root, "groups")):
        path = f"groups[{index}]"
        data = reader.mapping(item, path)
        ref = reader.ref(data.get("ref"), groups, f"{path}.ref")
        name = reader.text(data.get("name"), ServiceGroup, "name", f"{path}.name")
        reader.unique(name, names, f"{path}.name")
        groups[ref] = ServiceGroup.objects.create(
            page=page, name=name,
            position=reader.count(data.get("position"), f"{path}.position"),
            created_at=reader.time(data.get("created_at"), f"{path}.created_at"),
        )
    return groups


def _load_services(reader: _Reader, root: Mapping[str, Any], page: Page,
                   groups: dict[int, ServiceGroup]) -> dict[int, Service]:
    services: dict[int, Service] = {}
    names: set[str] = set()
    for index, item in enumerate(reader.items(root, "services")):
        path = f"services[{index}]"
        data = reader.mapping(item, path)
        ref = reader.ref(data.get("ref"), services, f"{path}.ref")
        name = reader.text(data.get("name"), Service, "name", f"{path}.name")
        reader.unique(name, names, f"{path}.name")
        group_ref = data.get("group")
        if group_ref is not None and (not _is_ref(group_ref) or group_ref not in groups):
            raise InvalidValue("unknown_ref", f"{path}.group: no group has the ref {group_ref!r}.",
                               field=f"{path}.group")
        services[ref] = Service.objects.create(
            page=page, name=name,
            description=reader.text(data.get("description", ""), Service, "description",
                                    f"{path}.description"),
            group=groups[group_ref] if group_ref is not None else None,
            position=reader.count(data.get("position"), f"{path}.position"),
            start_date=reader.date(data.get("start_date"), f"{path}.start_date"),
            created_at=reader.time(data.get("created_at"), f"{path}.created_at"),
        )
    return services


def _load_incidents(reader: _Reader, root: Mapping[str, Any], page: Page,
                    services: dict[int, Service], users: _Users) -> int:
    incidents = reader.items(root, "incidents")
    for index, item in enumerate(incidents):
        path = f"incidents[{index}]"
        data = reader.mapping(item, path)
        incident = Incident.objects.create(
            page=page,
            title=reader.text(data.get("title"), Incident, "title", f"{path}.title"),
            state=reader.choice(data.get("state"), [s.value for s in State], f"{path}.state"),
            status=reader.choice(data.get("status"), [s.value for s in Status],
                                 f"{path}.status"),
            opened_at=reader.time(data.get("opened_at"), f"{path}.opened_at"),
            closed_at=reader.optional_time(data.get("closed_at"), f"{path}.closed_at"),
            backfilled=reader.boolean(data.get("backfilled", False), f"{path}.backfilled"),
            post_mortem=reader.optional_prose(data.get("post_mortem"), f"{path}.post_mortem"),
            created_by=users.get(reader.optional_string(data.get("created_by"),
                                                        f"{path}.created_by")),
            created_at=reader.time(data.get("created_at"), f"{path}.created_at"),
            updated_at=reader.time(data.get("updated_at"), f"{path}.updated_at"),
        )
        incident.services.set(reader.services(data.get("services"), services, f"{path}.services"))
        events = []
        for event_index, event_item in enumerate(reader.items(data, "events", path)):
            event_path = f"{path}.events[{event_index}]"
            event_data = reader.mapping(event_item, event_path)
            event = IncidentEvent.objects.create(
                incident=incident,
                at=reader.time(event_data.get("at"), f"{event_path}.at"),
                state=reader.choice(event_data.get("state"), [s.value for s in State],
                                    f"{event_path}.state"),
                status=reader.choice(event_data.get("status"), [s.value for s in Status],
                                     f"{event_path}.status"),
                text=reader.prose(event_data.get("text"), f"{event_path}.text"),
                services_override=reader.boolean(event_data.get("services_override", False),
                                                 f"{event_path}.services_override"),
                author=users.get(reader.optional_string(event_data.get("author"),
                                                        f"{event_path}.author")),
                posted_at=reader.time(event_data.get("posted_at"), f"{event_path}.posted_at"),
                edited_at=reader.optional_time(event_data.get("edited_at"),
                                               f"{event_path}.edited_at"),
            )
            event.services.set(reader.services(event_data.get("services"), services,
                                               f"{event_path}.services"))
            events.append(event)
        if not events:
            raise InvalidValue("no_events", f"{path}.events: an incident needs at least one "
                               "event.", field=f"{path}.events")
        latest = data.get("latest_event", len(events) - 1)
        if not isinstance(latest, int) or isinstance(latest, bool) or not (
            0 <= latest < len(events)
        ):
            raise InvalidValue("invalid_index", f"{path}.latest_event must be the index of one "
                               f"of its {len(events)} events.", field=f"{path}.latest_event")
        Incident.objects.filter(pk=incident.pk).update(latest_event=events[latest])
    return len(incidents)


def _load_maintenances(reader: _Reader, root: Mapping[str, Any], page: Page,
                       services: dict[int, Service], users: _Users) -> int:
    maintenances = reader.items(root, "maintenances")
    statuses = [s.value for s in MaintenanceStatus]
    for index, item in enumerate(maintenances):
        path = f"maintenances[{index}]"
        data = reader.mapping(item, path)
        starts_at = reader.time(data.get("starts_at"), f"{path}.starts_at")
        ends_at = reader.time(data.get("ends_at"), f"{path}.ends_at")
        if ends_at <= starts_at:
            raise InvalidValue("invalid_window", f"{path}.ends_at must be after starts_at.",
                               field=f"{path}.ends_at")
        auto = data.get("auto_transition")
        maintenance = Maintenance.objects.create(
            page=page,
            title=reader.text(data.get("title"), Maintenance, "title", f"{path}.title"),
            description=reader.prose(data.get("description", ""), f"{path}.description"),
            starts_at=starts_at, ends_at=ends_at,
            status=reader.choice(data.get("status"), statuses, f"{path}.status"),
            auto_transition=None if auto is None else reader.boolean(
                auto, f"{path}.auto_transition"),
            started_at=reader.optional_time(data.get("started_at"), f"{path}.started_at"),
            completed_at=reader.optional_time(data.get("completed_at"), f"{path}.completed_at"),
            created_by=users.get(reader.optional_string(data.get("created_by"),
                                                        f"{path}.created_by")),
            created_at=reader.time(data.get("created_at"), f"{path}.created_at"),
            updated_at=reader.time(data.get("updated_at"), f"{path}.updated_at"),
        )
        maintenance.services.set(reader.services(data.get("services"), services,
                                                 f"{path}.services"))
        for event_index, event_item in enumerate(reader.items(data, "events", path)):
            event_path = f"{path}.events[{event_index}]"
            event_data = reader.mapping(event_item, event_path)
            MaintenanceEvent.objects.create(
                maintenance=maintenance,
                at=reader.time(event_data.get("at"), f"{event_path}.at"),
                status=reader.choice(event_data.get("status"), statuses, f"{event_path}.status"),
                text=reader.prose(event_data.get("text"), f"{event_path}.text"),
                author=users.get(reader.optional_string(event_data.get("author"),
                                                        f"{event_path}.author")),
                posted_at=reader.time(event_data.get("posted_at"), f"{event_path}.posted_at"),
                edited_at=reader.optional_time(event_data.get("edited_at"),
                                               f"{event_path}.edited_at"),
            )
    return len(maintenances)


def _load_subscribers(reader: _Reader, root: Mapping[str, Any], page: Page,
                      services: dict[int, Service], loaded: Loaded) -> int:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from heliograph.notifications.models import Subscriber, new_token

    subscribers = reader.items(root, "subscribers")
    seen: set[str] = set()
    for index, item in enumerate(subscribers):
        path = f"subscribers[{index}]"
        data = reader.mapping(item, path)
        email = reader.text(data.get("email"), Subscriber, "email", f"{path}.email")
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidValue("invalid_email", f"{path}.email: {email!r} is not an e-mail "
                               "address.", field=f"{path}.email") from None
        if email.lower() in seen:
            raise InvalidValue("duplicate_email", f"{path}.email: {email!r} is listed twice.",
                               field=f"{path}.email")
        seen.add(email.lower())
        token = reader.text(data.get("token"), Subscriber, "token", f"{path}.token")
        if not token or Subscriber.objects.filter(token=token).exists():
            token = new_token()
            loaded.new_tokens += 1
        subscriber = Subscriber.objects.create(
            page=page, email=email, token=token,
            all_services=reader.boolean(data.get("all_services", True), f"{path}.all_services"),
            confirmed_at=reader.optional_time(data.get("confirmed_at"), f"{path}.confirmed_at"),
            created_at=reader.time(data.get("created_at"), f"{path}.created_at"),
        )
        subscriber.services.set(reader.services(data.get("services"), services,
                                                f"{path}.services"))
    return len(subscribers)


def _load_webhooks(reader: _Reader, root: Mapping[str, Any], page: Page,
                   services: dict[int, Service]) -> int:
    from heliograph.notifications.models import WebhookFlavour, WebhookSubscriber
    from heliograph.notifications.webhooks import check_url

    webhooks = reader.items(root, "webhook_subscribers")
    for index, item in enumerate(webhooks):
        path = f"webhook_subscribers[{index}]"
        data = reader.mapping(item, path)
        try:
            url = check_url(reader.string(data.get("url"), f"{path}.url"))
        except DomainError as error:
            raise InvalidValue(error.code, f"{path}.url: {error.message}",
                               field=f"{path}.url") from None
        webhook = WebhookSubscriber.objects.create(
            page=page, url=url,
            flavour=reader.choice(data.get("flavour"), WebhookFlavour.values, f"{path}.flavour"),
            all_services=reader.boolean(data.get("all_services", True), f"{path}.all_services"),
            secret=reader.text(data.get("secret"), WebhookSubscriber, "secret", f"{path}.secret"),
            consecutive_failures=reader.count(data.get("consecutive_failures", 0),
                                              f"{path}.consecutive_failures"),
            last_failure=reader.string(data.get("last_failure", ""), f"{path}.last_failure"),
            disabled_at=reader.optional_time(data.get("disabled_at"), f"{path}.disabled_at"),
            disabled_reason=reader.string(data.get("disabled_reason", ""),
                                          f"{path}.disabled_reason"),
            created_at=reader.time(data.get("created_at"), f"{path}.created_at"),
        )
        webhook.services.set(reader.services(data.get("services"), services, f"{path}.services"))
    return len(webhooks)


def _is_ref(value: Any) -> bool:
    """Return whether `value` can be a `ref`: a JSON integer, which excludes true and false."""
    return isinstance(value, int) and not isinstance(value, bool)


class _Reader:
    """Checks of the values of a document, each raising `InvalidValue` that names the path."""

    @staticmethod
    def _invalid(path: str, expected: str, value: Any) -> InvalidValue:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return InvalidValue("invalid_value", f"{path or 'the document'} must be {expected}, "
                            f"not {shown}.", field=path or None)

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self._invalid(path, "a JSON object", value)
        return value

    def items(self, parent: Mapping[str, Any], key: str, prefix: str = "") -> list[Any]:
        path = f"{prefix}.{key}" if prefix else key
        value = parent.get(key, [])
        if not isinstance(value, list):
            raise self._invalid(path, "a JSON array", value)
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self._invalid(path, "a string", value)
        if "\x00" in value:
            raise InvalidValue("invalid_text", f"{path} contains a null character.", field=path)
        return value

    def optional_string(self, value: Any, path: str) -> str | None:
        return None if value is None else self.string(value, path)

    def text(self, value: Any, model: type[models.Model], name: str, path: str) -> str:
        """Check a string against the length limit of the model field it goes into.

        Control characters other than line breaks and tabs, and bidirectional controls, are
        rejected as the console rejects them.
        """
        text = self.prose(value, path)
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if limit is not None and len(text) > limit:
            raise InvalidValue("too_long", f"{path} is {len(text)} characters long: the maximum "
                               f"is {limit}.", field=path)
        return text

    def prose(self, value: Any, path: str) -> str:
        """Check a string that people read, such as an event's text, for control characters."""
        text = self.string(value, path)
        check_text(text, field=path, max_length=len(text), required=False)
        return text

    def optional_prose(self, value: Any, path: str) -> str | None:
        return None if value is None else self.prose(value, path)

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self._invalid(path, "true or false", value)
        return value

    def count(self, value: Any, path: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
            raise self._invalid(path, "a whole number from 0", value)
        return value

    def choice(self, value: Any, allowed: Iterable[str], path: str) -> str:
        options = list(allowed)
        if value not in options:
            raise self._invalid(path, f"one of {', '.join(options)}", value)
        return str(value)

    def time(self, value: Any, path: str) -> dt.datetime:
        text = self.string(value, path)
        try:
            parsed = dt.datetime.fromisoformat(text)
            if parsed.tzinfo is None:
                raise ValueError(text)
            return parsed.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            raise self._invalid(path, "an ISO 8601 time with a UTC offset "
                                "(2024-03-31T01:30:00.000000Z)", value) from None

    def optional_time(self, value: Any, path: str) -> dt.datetime | None:
        return None if value is None else self.time(value, path)

    def date(self, value: Any, path: str) -> dt.date:
        text = self.string(value, path)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise self._invalid(path, "a date (2024-03-31)", value) from None

    def ref(self, value: Any, taken: Mapping[int, Any], path: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._invalid(path, "a whole number", value)
        if value in taken:
            raise InvalidValue("duplicate_ref", f"{path}: the ref {value} is used twice.",
                               field=path)
        return value

    def unique(self, name: str, seen: set[str], path: str) -> None:
        """Reject a name that another item of the same list has, in any letter case."""
        folded = unicodedata.normalize("NFKC", name).casefold()
        if folded in seen:
            raise InvalidValue("duplicate_name", f"{path}: the name {name!r} is used twice.",
                               field=path)
        seen.add(folded)

    def services(self, value: Any, services: Mapping[int, Service], path: str) -> list[Service]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._invalid(path, "a JSON array of service refs", value)
        found = []
        for ref in value:
            if not _is_ref(ref) or ref not in services:
                raise InvalidValue("unknown_ref", f"{path}: no service has the ref {ref!r}.",
                                   field=path)
            found.append(services[ref])
        return found

