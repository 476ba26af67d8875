"""Pages and their services on the Runstatus API."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.http import HttpResponse

from heliograph.domain import pages as domain_pages
from heliograph.domain.errors import DomainError
from heliograph.domain.models import Page, Role, Service
from heliograph.runstatus import access, wire
from heliograph.runstatus.endpoint import Call, Created, endpoint, no_content
from heliograph.runstatus.errors import from_domain
from heliograph.runstatus.inputs import Fields
from heliograph.runstatus.pagination import paginate

# This API's names of the page settings the domain calls otherwise.
PAGE_FIELDS = {
    "slug": "subdomain",
    "default_status_message": "ok_text",
    "custom_domain": "domain",
    "header_background": "header_background",
    "header_text_color": "title_color",
}
_RGBA = re.compile(r"\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*([0-9.]+)\s*)?")


# --- Pages ---------------------------------------------------------------------------------


def list_pages(call: Call) -> dict[str, Any]:
    pages = access.managed_pages(call.credential).order_by("pk")

    def present(rows: Sequence[Page]) -> list[dict[str, Any]]:
        states = wire.page_states(rows)
        return [wire.page_body(page, states[page.pk]) for page in rows]

    return paginate(call.request, pages, present, wire.link("pages"))


def create_page(call: Call) -> Created:
    """Create a page owned by the key's user; a restricted key also gets the new page.

    `subdomain` is required. `name`, which Runstatus clients send as well, is ignored, and the
    title defaults to the subdomain.
    """
    fields = call.fields()
    slug = fields.text("subdomain", required=True)
    title = fields.text("title")
    changes = _page_settings(fields, current_theme="auto")
    fields.check()
    assert slug is not None

    with transaction.atomic():
        try:
            page = domain_pages.create_page(
                slug.strip(), title=title if title is not None else slug.strip(),
                owner=call.credential.user, actor=call.actor, **changes,
            )
        except DomainError as error:
            raise from_domain(error, PAGE_FIELDS) from None
        if not call.credential.all_pages:
            call.credential.pages.add(page)
    return Created(wire.page_detail(page))


def get_page(call: Call, slug: str) -> dict[str, Any]:
    return wire.page_detail(access.get_page(call.credential, slug))


def update_page(call: Call, slug: str) -> dict[str, Any]:
    """Change the title, OK text, custom domain, time zone, theme, contacts or colours.

    `subdomain` cannot change. The logo and the gradient are read-only here.
    """
    page = access.get_page(call.credential, slug, need=Role.OWNER)
    fields = call.fields()
    subdomain = fields.text("subdomain")
    if subdomain is not None and subdomain.strip() != page.slug:
        fields.fail("subdomain", "The subdomain of a page cannot change: create another page "
                    "for another subdomain.")
    title = fields.text("title")
    changes = _page_settings(fields, current_theme=page.theme)
    fields.check()
    if title is not None:
        changes["title"] = title

    try:
        domain_pages.update_page(page, changes, actor=call.actor)
    except DomainError as error:
        raise from_domain(error, PAGE_FIELDS) from None
    return wire.page_detail(page)


def delete_page(call: Call, slug: str) -> HttpResponse:
    """Delete the page and everything on it (owners only)."""
    page = access.get_page(call.credential, slug, need=Role.OWNER)
    domain_pages.delete_page(page)
    return no_content()


def _page_settings(fields: Fields, *, current_theme: str) -> dict[str, Any]:
    """Read the page settings both create and PATCH take, as the domain names them."""
    changes: dict[str, Any] = {}
    for name, setting in (("ok_text", "default_status_message"), ("time_zone", "time_zone"),
                          ("support_email", "support_email"),
                          ("twitter_username", "twitter_username")):
        value = fields.text(name)
        if value is not None:
            changes[setting] = value
    if fields.has("domain"):
        domain = fields.text("domain", nullable=True)
        changes["custom_domain"] = domain or None
    dark = fields.boolean("dark_theme")
    if dark is True:
        changes["theme"] = "dark"
    elif dark is False and current_theme == "dark":
        changes["theme"] = "light"
    for name, setting in (("header_background", "header_background"),
                          ("title_color", "header_text_color")):
        colour = _colour(fields, name)
        if colour is not None:
            changes[setting] = colour
    return changes


def _colour(fields: Fields, name: str) -> str | None:
    """Read a colour given as "R,G,B,A" (alpha 1) or "#rrggbb"; return it as "#rrggbb"."""
    text = fields.text(name)
    if text is None:
        return None
    if re.fullmatch(r"#[0-9a-fA-F]{6}", text.strip()):
        return text.strip().lower()
    match = _RGBA.fullmatch(text)
    if match is None or any(int(part) > 255 for part in match.groups()[:3]):
        fields.fail(name, f"{text[:40]!r} is not a colour: give \"R,G,B,A\" with R, G and B "
                    "from 0 to 255, such as \"255,255,255,1\".")
        return None
    alpha = match[4]
    try:
        opaque = alpha is None or float(alpha) == 1
    except ValueError:
        opaque = False
    if not opaque:
        fields.fail(name, f"{text[:40]!r} is not opaque: status page colours need an alpha "
                    "of 1.")
        return None
    return "#" + "".join(f"{int(part):02x}" for part in match.groups()[:3])


# --- Services ------------------------------------------------------------------------------


def list_services(call: Call, slug: str) -> dict[str, Any]:
    page = access.get_page(call.credential, slug)
    services = Service.objects.filter(page=page).order_by("position", "pk")
    states = wire.service_states(page)

    def present(rows: Sequence[Service]) -> list[dict[str, Any]]:
        return [wire.service_body(service, states[service.pk], slug) for service in rows]

    return paginate(call.request, services, present, wire.link("services", slug))


def add_service(call: Call, slug: str) -> Created:
    page = access.get_page(call.credential, slug)
    fields = call.fields()
    name = fields.text("name", required=True)
    fields.check()
    assert name is not None
    service = domain_pages.add_service(page, name=name, actor=call.actor)
    return Created(wire.service_body(service, wire.service_states(page)[service.pk], slug))


def get_service(call: Call, slug: str, service_id: str) -> dict[str, Any]:
    page = access.get_page(call.credential, slug)
    service = access.get_service(page, service_id)
    return wire.service_body(service, wire.service_states(page)[service.pk], slug)


def remove_service(call: Call, slug: str, service_id: str) -> HttpResponse:
    """Remove a service; the incidents and maintenances that named it stay, without it."""
    page = access.get_page(call.credential, slug)
    domain_pages.remove_service(access.get_service(page, service_id), actor=call.actor)
    return no_content()


pages_view = endpoint(get=list_pages, post=create_page)
page_view = endpoint(get=get_page, patch=update_page, delete=delete_page)
services_view = endpoint(get=list_services, post=add_service)
service_view = endpoint(get=get_service, delete=remove_service)
