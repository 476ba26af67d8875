"""A page's settings: owners change them; editors and viewers read them.

The settings screen has one form per section (general, address, look, features), each
posted on its own, so an error in one section keeps what was typed there and leaves the
others as stored. The logo has its own upload and removal, and deleting the page its own
confirmation screen.
"""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heliograph.console import logos
from heliograph.console.access import actor_of, console_view, member_page
from heliograph.console.form_common import ConsoleForm
from heliograph.console.page_forms import (
    TIME_ZONE_LIST_ID,
    AddressForm,
    DeletePageForm,
    FeaturesForm,
    GeneralForm,
    LogoForm,
    LookForm,
    sorted_time_zones,
)
from heliograph.domain import pages as domain_pages
from heliograph.domain.audit import snapshot
from heliograph.domain.errors import DomainError
from heliograph.domain.models import Page, Role
from heliograph.lib.urls import public_url
from heliograph.public.presenter import contrast_ratio

logger = logging.getLogger(__name__)

SECTIONS: dict[str, type[ConsoleForm]] = {
    "general": GeneralForm,
    "address": AddressForm,
    "look": LookForm,
    "features": FeaturesForm,
}
# WCAG 2.2 minimum contrast of normal text (success criterion 1.4.3).
MIN_TEXT_CONTRAST = 4.5
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _initial(page: Page, form_class: type[ConsoleForm]) -> dict[str, Any]:
    values = {name: getattr(page, name) for name in form_class.base_fields if hasattr(page, name)}
    if "custom_domain" in values:
        values["custom_domain"] = values["custom_domain"] or ""
    return values


def _section_form(section: str, page: Page, data: Any = None) -> ConsoleForm:
    form_class = SECTIONS[section]
    initial = _initial(page, form_class)
    if form_class is AddressForm:
        return AddressForm(data, initial=initial, prefix=section, page=page)
    return form_class(data, initial=initial, prefix=section)


@require_http_methods(["GET", "POST"])
@console_view
def page_settings(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug)
    if request.method != "POST":
        return _render(request, page, role)
    page, role = member_page(request, slug, need=Role.OWNER)
    section = request.POST.get("section", "")
    if section not in SECTIONS:
        messages.error(request, "The form did not say which settings it changes: reload the "
                                "page and try again.")
        return _render(request, page, role, status=400)

    form = _section_form(section, page, request.POST)
    if form.is_valid():
        changes = {name: value for name, value in form.cleaned_data.items()
                   if name in domain_pages.PAGE_FIELDS}
        before = snapshot(page, domain_pages.PAGE_FIELDS)
        try:
            domain_pages.update_page(page, changes, actor=actor_of(request))
        except DomainError as error:
            form.show_error(error)
        else:
            _report_changes(request, form, before, page)
            target = reverse("console:settings", args=[page.slug])
            return HttpResponseRedirect(f"{target}#{section}")
    return _render(request, page, role, bound={section: form}, status=422)


def _report_changes(request: HttpRequest, form: ConsoleForm, before: dict[str, Any],
                    page: Page) -> None:
    after = snapshot(page, domain_pages.PAGE_FIELDS)
    changed = [name for name in form.fields
               if name in domain_pages.PAGE_FIELDS and before[name] != after[name]]
    if not changed:
        messages.info(request, "Nothing changed.")
        return
    labels = ", ".join(str(form.fields[name].label or name).lower() for name in changed)
    messages.success(request, f"Saved the new {labels}.")
    if "slug" in changed:
        messages.warning(request, f"The page's address is now {public_url(page)}. Links to the "
                                  f"old slug {before['slug']!r} no longer work.")
    if "header_background" in changed or "header_text_color" in changed:
        ratio = contrast_ratio(page.header_background, page.header_text_color)
        if ratio < MIN_TEXT_CONTRAST:
            messages.warning(request, _contrast_warning(ratio))


def _contrast_warning(ratio: float) -> str:
    return (f"The header's text and background have a contrast of {ratio:.1f}:1, below the "
            f"{MIN_TEXT_CONTRAST}:1 that text needs to be readable. The public page shows the "
            "title in black or white instead until you pick other colours.")


def _render(request: HttpRequest, page: Page, role: Role, *,
            bound: dict[str, ConsoleForm] | None = None, status: int = 200) -> HttpResponse:
    bound = bound or {}
    forms = {section: bound.get(section) or _section_form(section, page) for section in SECTIONS}
    logo_form = bound.get("logo") or LogoForm()
    can_change = role == Role.OWNER
    return render(request, "console/settings.html", {
        "page": page,
        "role": role,
        "section": "settings",
        "can_change": can_change,
        "forms": forms,
        "logo_form": logo_form,
        "time_zones": sorted_time_zones() if can_change else [],
        "time_zone_list_id": TIME_ZONE_LIST_ID,
        "header": _header_preview(page, forms["look"]),
        "public_url": public_url(page),
        "slug_links": _slug_links(page),
        "logo_url": reverse("console:logo-file", args=[page.slug]) if page.logo else "",
        "language_name": dict(settings.LANGUAGES).get(page.language, page.language),
    }, status=status)


def _header_preview(page: Page, form: ConsoleForm) -> dict[str, Any]:
    """Return the header colours to preview: the typed ones when valid, else the stored ones."""
    background, text = page.header_background, page.header_text_color
    if form.is_bound:
        typed_background = str(form.data.get("look-header_background", ""))
        typed_text = str(form.data.get("look-header_text_color", ""))
        if _HEX_COLOUR.fullmatch(typed_background) and _HEX_COLOUR.fullmatch(typed_text):
            background, text = typed_background, typed_text
    ratio = contrast_ratio(background, text)
    return {
        "background": background.lower(),
        "text": text.lower(),
        "ratio": f"{ratio:.1f}",
        "too_low": ratio < MIN_TEXT_CONTRAST,
        "warning": _contrast_warning(ratio) if ratio < MIN_TEXT_CONTRAST else "",
    }


def _slug_links(page: Page) -> list[str]:
    """Return the addresses that contain the slug and stop working when it changes."""
    base = settings.HELIOGRAPH_BASE_URL
    return [
        public_url(SimpleNamespace(slug=page.slug, custom_domain=None)),
        f"{base}/p/{page.slug}/",
        f"{base}/api/v1/pages/{page.slug}",
    ]


# Logo


@require_POST
@console_view
def upload_logo(request: HttpRequest, slug: str) -> HttpResponse:
    # NOTE: Django parses the multipart body, and spools large files to disk, before this view
    # checks the size. Only a body limit in the reverse proxy caps what reaches the server.
    page, role = member_page(request, slug, need=Role.OWNER)
    form = LogoForm(request.POST, request.FILES, prefix=None)
    if not form.is_valid():
        return _render(request, page, role, bound={"logo": form}, status=422)
    logo: logos.CleanLogo = form.cleaned_data["logo"]
    logos.store(page, logo, actor=actor_of(request))
    size = f", {logo.width} by {logo.height} pixels" if logo.width else ""
    messages.success(request, f"Saved the new logo ({logo.extension.upper()}{size}).")
    return HttpResponseRedirect(reverse("console:settings", args=[page.slug]) + "#look")


@require_POST
@console_view
def remove_logo(request: HttpRequest, slug: str) -> HttpResponse:
    page, _ = member_page(request, slug, need=Role.OWNER)
    if logos.remove(page, actor=actor_of(request)):
        messages.success(request, "Removed the logo: the header shows the title only.")
    else:
        messages.info(request, "The page has no logo to remove.")
    return HttpResponseRedirect(reverse("console:settings", args=[page.slug]) + "#look")


@require_GET
@console_view
def logo_file(request: HttpRequest, slug: str) -> HttpResponse:
    """Serve the page's logo to its members, as an image that cannot run scripts."""
    page, _ = member_page(request, slug)
    name = page.logo.name
    extension = name.rsplit(".", 1)[-1].lower() if name else ""
    if extension not in logos.CONTENT_TYPES or not default_storage.exists(name):
        raise Http404("This page has no logo.")
    with default_storage.open(name, "rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type=logos.CONTENT_TYPES[extension])
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


# Deletion


@require_http_methods(["GET", "POST"])
@console_view
def delete_page(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.OWNER)
    form = DeletePageForm(request.POST or None, page=page)
    if request.method == "POST" and form.is_valid():
        title, page_slug = page.title, page.slug
        domain_pages.delete_page(page)
        logger.info("page %s deleted by user %s", page_slug, request.user.pk)
        messages.success(request, f"Deleted the page {title} ({page_slug}) and everything on it.")
        return redirect("console:home")
    return render(request, "console/delete_page.html", {
        "page": page,
        "role": role,
        "section": "settings",
        "form": form,
        "counts": {
            "services": page.services.count(),
            "incidents": page.incidents.count(),
            "maintenances": page.maintenances.count(),
            "members": page.memberships.count(),
        },
        "public_url": public_url(page),
    }, status=422 if form.is_bound else 200)
