"""Tests of page settings, members, services and service groups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.accounts.models import User
from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.errors import Conflict, DomainError, InvalidValue, RuleViolation
from heliograph.domain.models import AuditEntry, Incident, Membership, Page, Role, Service
from heliograph.domain.validation import RESERVED_SLUGS
from heliograph.domain.vocab import State, Status
from tests.domain.support import footprint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def stored_page(page: Page) -> dict[str, Any]:
    values: dict[str, Any] = Page.objects.filter(pk=page.pk).values(
        *pages.PAGE_FIELDS, "version").get()
    return values


# Creating pages


def test_create_page_adds_owner_and_audit_entry(owner: User, actor: Actor) -> None:
    page = pages.create_page("acme-eu", title="Acme Europe", owner=owner, actor=actor,
                             time_zone="Europe/Berlin", header_background="#1A2B3C")

    stored = Page.objects.get(pk=page.pk)
    assert stored.time_zone == "Europe/Berlin"
    assert stored.header_background == "#1a2b3c"
    assert Membership.objects.get(page=page).role == Role.OWNER
    entry = AuditEntry.objects.get(page=page, action="page.create")
    assert entry.after is not None
    assert entry.after["slug"] == "acme-eu"
    assert entry.actor_label == owner.email


@pytest.mark.parametrize(
    "slug",
    ["Acme", "-acme", "acme-", "ac_me", "a.b", "acmé", "", "a" * 64, "ac me"],
    ids=["upper case", "leading hyphen", "trailing hyphen", "underscore", "dot",
         "non-ASCII", "empty", "64 characters", "inner space"],
)
def test_create_page_rejects_invalid_slug(owner: User, actor: Actor, slug: str) -> None:
    with pytest.raises(InvalidValue) as error:
        pages.create_page(slug, title="Acme", owner=owner, actor=actor)

    assert error.value.code == "invalid_slug"
    assert error.value.field == "slug"
    assert not Page.objects.exists()


def test_create_page_accepts_63_character_slug(owner: User, actor: Actor) -> None:
    page = pages.create_page("a" * 63, title="Acme", owner=owner, actor=actor)

    assert Page.objects.get(pk=page.pk).slug == "a" * 63


@pytest.mark.parametrize("slug", ["www", "api", "admin", "status"])
def test_create_page_rejects_reserved_slug(owner: User, actor: Actor, slug: str) -> None:
    with pytest.raises(InvalidValue) as error:
        pages.create_page(slug, title="Acme", owner=owner, actor=actor)

    assert error.value.code == "reserved_slug"
    assert error.value.field == "slug"
    assert not Page.objects.exists()


def test_create_page_rejects_taken_slug(page: Page, owner: User, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(Conflict) as error:
        pages.create_page(" acme ", title="Another Acme", owner=owner, actor=actor)

    assert error.value.code == "slug_taken"
    assert error.value.field == "slug"
    assert Page.objects.count() == 1
    assert footprint(page) == before


def test_update_page_rejects_taken_slug(page: Page, actor: Actor, outsider: User) -> None:
    before = footprint(page)

    with pytest.raises(Conflict) as error:
        pages.update_page(page, {"slug": "other", "title": "Renamed"}, actor=actor)

    assert error.value.code == "slug_taken"
    assert error.value.field == "slug"
    assert footprint(page) == before
    assert stored_page(page)["title"] == "Acme"


def test_update_page_accepts_its_own_slug(page: Page, actor: Actor) -> None:
    pages.update_page(page, {"slug": "acme", "title": "Acme Inc."}, actor=actor)

    assert stored_page(page)["title"] == "Acme Inc."


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "+01:00", "europe/berlin"])
def test_create_page_rejects_invalid_time_zone(owner: User, actor: Actor, zone: str) -> None:
    with pytest.raises(InvalidValue) as error:
        pages.create_page("acme", title="Acme", owner=owner, actor=actor, time_zone=zone)

    assert error.value.code == "invalid_time_zone"
    assert error.value.field == "time_zone"
    assert not Page.objects.exists()


def test_update_page_rejects_invalid_time_zone(page: Page, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        pages.update_page(page, {"title": "Renamed", "time_zone": "Europe/Atlantis"},
                          actor=actor)

    assert error.value.code == "invalid_time_zone"
    assert error.value.field == "time_zone"
    assert footprint(page) == before
    assert stored_page(page)["time_zone"] == "UTC"
    assert page.time_zone == "UTC"


@pytest.mark.parametrize("colour", ["#fff", "red", "#12345g", "123456", "#1234567", ""])
@pytest.mark.parametrize("field", ["header_background", "header_text_color"])
def test_update_page_rejects_invalid_colour(
    page: Page, actor: Actor, field: str, colour: str
) -> None:
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        pages.update_page(page, {field: colour}, actor=actor)

    assert error.value.code == "invalid_colour"
    assert error.value.field == field
    assert footprint(page) == before


def test_update_page_rejects_unknown_field(page: Page, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        pages.update_page(page, {"title": "Renamed", "colour": "#000000"}, actor=actor)

    assert error.value.code == "unknown_field"
    assert error.value.field == "colour"
    assert footprint(page) == before


def test_create_page_rejects_unknown_field(owner: User, actor: Actor) -> None:
    with pytest.raises(InvalidValue) as error:
        pages.create_page("acme", title="Acme", owner=owner, actor=actor, version=9)

    assert error.value.code == "unknown_field"
    assert error.value.field == "version"
    assert not Page.objects.exists()


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"is_private": "yes"}, "invalid_boolean", "is_private"),
        ({"title": 5}, "invalid_type", "title"),
        ({"banner_color_rule": "loudest"}, "invalid_choice", "banner_color_rule"),
        ({"theme": "sepia"}, "invalid_choice", "theme"),
        ({"language": "xx"}, "invalid_language", "language"),
        ({"main_site_url": "ftp://example.com"}, "invalid_url", "main_site_url"),
        ({"support_email": "help"}, "invalid_email", "support_email"),
        ({"custom_domain": "https://status.example.com/"}, "invalid_domain", "custom_domain"),
        ({"title": "Two\nlines"}, "invalid_character", "title"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_update_page_rejects_invalid_value(
    page: Page, actor: Actor, changes: dict[str, Any], code: str, field: str
) -> None:
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        pages.update_page(page, changes, actor=actor)

    assert error.value.code == code
    assert error.value.field == field
    assert footprint(page) == before


def test_update_page_rejects_taken_domain(
    make_page: Callable[..., Page], page: Page, actor: Actor
) -> None:
    make_page("acme-eu", custom_domain="status.example.com")
    before = footprint(page)

    with pytest.raises(Conflict) as error:
        pages.update_page(page, {"custom_domain": "Status.Example.COM."}, actor=actor)

    assert error.value.code == "domain_taken"
    assert error.value.field == "custom_domain"
    assert footprint(page) == before


def test_create_page_rejects_taken_domain(
    make_page: Callable[..., Page], owner: User, actor: Actor
) -> None:
    make_page("acme", custom_domain="status.example.com")

    with pytest.raises(Conflict) as error:
        pages.create_page("acme-eu", title="Acme Europe", owner=owner, actor=actor,
                          custom_domain="status.example.com")

    assert error.value.code == "domain_taken"
    assert error.value.field == "custom_domain"
    assert Page.objects.count() == 1


def test_update_page_audits_changed_fields_only(page: Page, actor: Actor) -> None:
    version = stored_page(page)["version"]

    pages.update_page(page, {"title": "Acme Inc.", "time_zone": "UTC",
                             "theme": "dark"}, actor=actor)

    entry = AuditEntry.objects.filter(page=page, action="page.update").get()
    assert entry.before == {"title": "Acme", "theme": "auto"}
    assert entry.after == {"title": "Acme Inc.", "theme": "dark"}
    assert stored_page(page)["version"] == version + 1
    assert page.version == version + 1


def test_update_page_without_change_keeps_version(page: Page, actor: Actor) -> None:
    before = footprint(page)

    pages.update_page(page, {"title": "Acme", "time_zone": "UTC"}, actor=actor)

    assert footprint(page) == before


# Members


def test_remove_member_rejects_last_owner(page: Page, owner: User, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        pages.remove_member(page, owner, actor=actor)

    assert error.value.code == "last_owner"
    assert error.value.field == "role"
    assert Membership.objects.get(page=page, user=owner).role == Role.OWNER
    assert footprint(page) == before


def test_set_member_rejects_demoting_last_owner(page: Page, owner: User, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        pages.set_member(page, owner, Role.EDITOR, actor=actor)

    assert error.value.code == "last_owner"
    assert error.value.field == "role"
    assert Membership.objects.get(page=page, user=owner).role == Role.OWNER
    assert footprint(page) == before


def test_remove_owner_allowed_with_second_owner(
    page: Page, owner: User, editor: User, actor: Actor
) -> None:
    pages.set_member(page, editor, Role.OWNER, actor=actor)

    pages.remove_member(page, owner, actor=actor)

    assert list(Membership.objects.filter(page=page).values_list("user__email", "role")) == [
        ("editor@example.com", "owner"),
    ]


def test_set_member_changes_role_with_audit(
    page: Page, editor: User, actor: Actor
) -> None:
    pages.set_member(page, editor, Role.VIEWER, actor=actor)

    assert Membership.objects.get(page=page, user=editor).role == Role.VIEWER
    entry = AuditEntry.objects.filter(page=page, action="member.set").first()
    assert entry is not None
    assert entry.before == {"role": "editor"}
    assert entry.after == {"user": "editor@example.com", "role": "viewer"}


# Services and groups


@pytest.mark.parametrize("name", ["API", "api", " Api "])
def test_add_service_rejects_duplicate_name_in_any_case(
    page: Page, actor: Actor, add_service: Callable[..., Service], name: str
) -> None:
    add_service("API")
    before = footprint(page)

    with pytest.raises(Conflict) as error:
        add_service(name)

    assert error.value.code == "duplicate_name"
    assert error.value.field == "name"
    assert footprint(page) == before


def test_update_service_rejects_duplicate_name_in_any_case(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    add_service("API")
    web = add_service("Web")
    before = footprint(page)

    with pytest.raises(Conflict) as error:
        pages.update_service(web, {"name": "aPi", "description": "Front end"}, actor=actor)

    assert error.value.code == "duplicate_name"
    assert error.value.field == "name"
    assert footprint(page) == before
    assert Service.objects.get(pk=web.pk).description == ""


def test_update_service_changes_case_of_own_name(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("Api")

    pages.update_service(api, {"name": "API"}, actor=actor)

    assert Service.objects.get(pk=api.pk).name == "API"


def test_add_service_same_name_on_other_page(
    page: Page, add_service: Callable[..., Service], outsider: User
) -> None:
    add_service("API")

    other = add_service("API", on=Page.objects.get(slug="other"))

    assert other.page.slug == "other"


def test_update_service_rejects_unknown_field(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        pages.update_service(api, {"name": "Public API", "colour": "red"}, actor=actor)

    assert error.value.code == "unknown_field"
    assert error.value.field == "colour"
    assert footprint(page) == before


def test_add_service_starts_on_local_today(
    make_page: Callable[..., Page], add_service: Callable[..., Service]
) -> None:
    # 12:00 UTC on 10 March is 01:00 on 11 March in Auckland (UTC+13).
    auckland = make_page("auckland", time_zone="Pacific/Auckland")

    service = add_service("API", on=auckland)

    assert service.start_date == dt.date(2026, 3, 11)


def test_add_service_appends_positions(
    page: Page, add_service: Callable[..., Service]
) -> None:
    names = ["API", "Web", "Mail"]
    for name in names:
        add_service(name)

    assert list(Service.objects.filter(page=page).values_list("name", "position")) == [
        ("API", 0), ("Web", 1), ("Mail", 2),
    ]


def test_reorder_services_sets_positions(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api, web, mail = add_service("API"), add_service("Web"), add_service("Mail")

    pages.reorder_services(page, [mail.pk, api.pk, web.pk], actor=actor)

    assert list(Service.objects.filter(page=page).values_list("name", flat=True)) == [
        "Mail", "API", "Web",
    ]


@pytest.mark.parametrize("shape", ["missing", "repeated", "foreign"])
def test_reorder_services_rejects_incomplete_order(
    page: Page, actor: Actor, add_service: Callable[..., Service], outsider: User,
    shape: str,
) -> None:
    api, web = add_service("API"), add_service("Web")
    foreign = add_service("Billing", on=Page.objects.get(slug="other"))
    order = {
        "missing": [web.pk],
        "repeated": [web.pk, api.pk, web.pk],
        "foreign": [web.pk, api.pk, foreign.pk],
    }[shape]
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        pages.reorder_services(page, order, actor=actor)

    assert error.value.code == "invalid_order"
    assert error.value.field == "services"
    assert footprint(page) == before


def test_add_service_rejects_group_of_other_page(
    page: Page, actor: Actor, add_service: Callable[..., Service], outsider: User
) -> None:
    other = Page.objects.get(slug="other")
    foreign_group = pages.add_group(other, name="Core", actor=actor)
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        add_service("API", group=foreign_group)

    assert error.value.code == "unknown_group"
    assert error.value.field == "group"
    assert footprint(page) == before


def test_add_group_rejects_duplicate_name_in_any_case(page: Page, actor: Actor) -> None:
    pages.add_group(page, name="Core", actor=actor)
    before = footprint(page)

    with pytest.raises(Conflict) as error:
        pages.add_group(page, name="CORE", actor=actor)

    assert error.value.code == "duplicate_name"
    assert error.value.field == "name"
    assert footprint(page) == before


def test_remove_group_keeps_services_ungrouped(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    core = pages.add_group(page, name="Core", actor=actor)
    api = add_service("API", group=core)

    pages.remove_group(core, actor=actor)

    assert Service.objects.get(pk=api.pk).group is None


def test_remove_service_keeps_its_incidents(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api, web = add_service("API"), add_service("Web")
    incident = incidents.open_incident(page, title="Errors", text="Errors.",
                                       state=State.PARTIAL_OUTAGE, status=Status.INVESTIGATING,
                                       services=[api, web], actor=actor)

    pages.remove_service(api, actor=actor)

    stored = Incident.objects.get(pk=incident.pk)
    assert [service.name for service in stored.services.all()] == ["Web"]
    assert AuditEntry.objects.filter(page=page, action="service.remove").count() == 1


# Any slug text


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slug=st.one_of(
    st.text(max_size=70),
    st.from_regex(r"[a-z0-9-]{1,64}", fullmatch=True),
    st.sampled_from(sorted(RESERVED_SLUGS)),
))
def test_create_page_accepts_only_dns_labels(owner: User, actor: Actor, slug: str) -> None:
    """Any slug text makes a page whose slug is a free DNS label, or a DomainError on `slug`."""
    with transaction.atomic():
        try:
            page = pages.create_page(slug, title="Acme", owner=owner, actor=actor)
        except DomainError as error:
            assert error.field == "slug"
        else:
            stored = Page.objects.get(pk=page.pk).slug
            assert stored == slug.strip()
            assert 1 <= len(stored) <= 63
            assert stored[0] != "-"
            assert stored[-1] != "-"
            assert set(stored) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
            assert stored not in RESERVED_SLUGS
        transaction.set_rollback(True)


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "posix/Europe/Berlin"])
def test_system_zone_entries_rejected(page: Page, actor: Actor, zone: str) -> None:
    with pytest.raises(InvalidValue) as error:
        pages.update_page(page, {"time_zone": zone}, actor=actor)

    assert error.value.code == "invalid_time_zone"


@pytest.mark.parametrize("domain", ["localhost", "acme.localhost", "127.0.0.1"])
def test_custom_domain_of_the_service_rejected(page: Page, actor: Actor, domain: str) -> None:
    with pytest.raises(InvalidValue) as error:
        pages.update_page(page, {"custom_domain": domain}, actor=actor)

    assert error.value.field == "custom_domain"


@pytest.mark.parametrize("twin", ["\uff21\uff30\uff29", "api", "Api"])
def test_service_name_twins_rejected(page: Page, add_service: Callable[..., Service],
                                     twin: str) -> None:
    add_service("API")

    with pytest.raises(Conflict) as error:
        add_service(twin)

    assert error.value.code == "duplicate_name"


def test_service_name_with_bidi_override_rejected(page: Page,
                                                  add_service: Callable[..., Service]) -> None:
    with pytest.raises(InvalidValue) as error:
        add_service("API\u202egnp.exe")

    assert error.value.code == "invalid_character"


def test_start_date_cannot_pass_first_incident(page: Page, actor: Actor,
                                               add_service: Callable[..., Service]) -> None:
    service = add_service("API", start_date=dt.date(2026, 1, 1))
    at = dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)
    incidents.backfill_incident(page, title="Outage", services=[service], actor=actor, events=[
        incidents.PastEvent(at=at, state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                            text="Down."),
        incidents.PastEvent(at=at + dt.timedelta(hours=1), status=Status.RESOLVED, text="Up."),
    ])

    with pytest.raises(Conflict) as error:
        pages.update_service(service, {"start_date": dt.date(2026, 2, 11)}, actor=actor)
    pages.update_service(service, {"start_date": dt.date(2026, 2, 10)}, actor=actor)

    assert error.value.field == "start_date"
    assert Service.objects.get(pk=service.pk).start_date == dt.date(2026, 2, 10)
