"""The services screen: list them as the public page groups them, add, edit, reorder, remove.

The public page shows services in their order, each group whole where its first service is.
This screen shows the same blocks. Reordering works within a block (services) or on whole
blocks, so the order an editor arranges is the order of the public page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from heliograph.console import once
from heliograph.console.access import actor_of, console_view, member_page
from heliograph.console.service_forms import ServiceForm
from heliograph.console.view_common import already_deleted, work_context
from heliograph.domain import pages
from heliograph.domain.errors import DomainError
from heliograph.domain.models import (
    Incident,
    Maintenance,
    Page,
    Role,
    Service,
    ServiceGroup,
)
from heliograph.domain.vocab import MaintenanceStatus

UP, DOWN = "up", "down"


@dataclass
class Block:
    """Consecutive services of one group, or a run of ungrouped services (`group` None)."""

    group: ServiceGroup | None
    services: list[Service] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"group-{self.group.pk}" if self.group else f"ungrouped-{self.services[0].pk}"


def blocks_of(page: Page) -> list[Block]:
    """Arrange the page's services as the public page does: each group whole, at its first."""
    groups = {group.pk: group for group in ServiceGroup.objects.filter(page=page)}
    blocks: list[Block] = []
    by_group: dict[int, Block] = {}
    for service in Service.objects.filter(page=page).order_by("position", "id"):
        group = groups.get(service.group_id) if service.group_id else None
        if group is None:
            if not blocks or blocks[-1].group is not None:
                blocks.append(Block(group=None))
            blocks[-1].services.append(service)
            continue
        if group.pk not in by_group:
            by_group[group.pk] = Block(group=group)
            blocks.append(by_group[group.pk])
        by_group[group.pk].services.append(service)
    return blocks


def _list_url(page: Page, anchor: str = "") -> str:
    url = reverse("console:services", args=[page.slug])
    return f"{url}#{anchor}" if anchor else url


def _render_list(request: HttpRequest, page: Page, role: Role, form: ServiceForm,
                 status: int = 200) -> HttpResponse:
    blocks = blocks_of(page)
    context = work_context(
        request, page, role, "services", form=form, blocks=blocks,
        empty_groups=ServiceGroup.objects.filter(page=page, services__isnull=True),
        service_count=sum(len(block.services) for block in blocks),
    )
    return render(request, "console/services/list.html", context, status=status)


@console_view
@require_http_methods(["GET", "POST"])
def service_list(request: HttpRequest, slug: str) -> HttpResponse:
    """List the services; a POST adds one (with a new group if asked)."""
    need = Role.EDITOR if request.method == "POST" else Role.VIEWER
    page, role = member_page(request, slug, need=need)
    if request.method != "POST":
        return _render_list(request, page, role, ServiceForm(page=page))
    form = ServiceForm(request.POST, page=page)
    if form.is_valid():
        try:
            return once.run_once(request, lambda: _add(request, page, form))
        except DomainError as error:
            form.show_error(error)
        except once.MissingToken as error:
            form.add_error(None, str(error))
    return _render_list(request, page, role, form, status=422)


def _add(request: HttpRequest, page: Page, form: ServiceForm) -> str:
    actor = actor_of(request)
    group = _group_for(request, page, form)
    service = pages.add_service(
        page, name=form.cleaned_data["name"], description=form.cleaned_data["description"],
        group=group, actor=actor,
    )
    messages.success(request, f"Added the service “{service.name}”.")
    return _list_url(page, f"service-{service.pk}")


def _group_for(request: HttpRequest, page: Page, form: ServiceForm) -> ServiceGroup | None:
    """Return the group chosen on the form, creating it when a new one is named."""
    if not form.wants_new_group():
        return form.chosen_group()
    try:
        return pages.add_group(page, name=form.cleaned_data["new_group"],
                               actor=actor_of(request))
    except DomainError as error:
        # The group's name is typed in `new_group`, not in the service's `name`.
        raise type(error)(error.code, error.message, field="new_group") from error


@console_view
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, slug: str, service_id: int) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    service = get_object_or_404(Service, pk=service_id, page=page)
    if request.method != "POST":
        form = ServiceForm(initial=ServiceForm.initial_of(service), page=page)
        return _render_edit(request, page, role, service, form)
    form = ServiceForm(request.POST, page=page)
    if form.is_valid():
        try:
            return once.run_once(request, lambda: _save(request, page, service, form))
        except DomainError as error:
            form.show_error(error)
        except once.MissingToken as error:
            form.add_error(None, str(error))
    return _render_edit(request, page, role, service, form, status=422)


def _save(request: HttpRequest, page: Page, service: Service, form: ServiceForm) -> str:
    group = _group_for(request, page, form)
    pages.update_service(service, {
        "name": form.cleaned_data["name"],
        "description": form.cleaned_data["description"],
        "group": group,
    }, actor=actor_of(request))
    messages.success(request, f"Saved the service “{service.name}”.")
    return _list_url(page, f"service-{service.pk}")


def _render_edit(request: HttpRequest, page: Page, role: Role, service: Service,
                 form: ServiceForm, status: int = 200) -> HttpResponse:
    context = work_context(request, page, role, "services", form=form, service=service)
    return render(request, "console/services/edit.html", context, status=status)


@console_view
@require_POST
def service_move(request: HttpRequest, slug: str, service_id: int) -> HttpResponse:
    """Move a service, or its whole block, one place up or down; works without JavaScript."""
    page, _ = member_page(request, slug, need=Role.EDITOR)
    service = get_object_or_404(Service, pk=service_id, page=page)
    direction = request.POST.get("direction")
    whole_block = request.POST.get("scope") == "block"
    if direction not in (UP, DOWN):
        messages.error(request, "Choose to move up or down.")
        return HttpResponseRedirect(_list_url(page))
    try:
        return once.run_once(
            request, lambda: _move(request, page, service, direction == UP, whole_block)
        )
    except (DomainError, once.MissingToken) as error:
        messages.error(request, getattr(error, "message", str(error)))
        return HttpResponseRedirect(_list_url(page))


def _move(request: HttpRequest, page: Page, service: Service, up: bool,
          whole_block: bool) -> str:
    blocks = blocks_of(page)
    index = next(i for i, block in enumerate(blocks) if service in block.services)
    items: list[Block] | list[Service] = blocks if whole_block else blocks[index].services
    position = index if whole_block else blocks[index].services.index(service)
    target = position + (-1 if up else 1)
    what = _moved_thing(service, blocks[index], whole_block)
    if not 0 <= target < len(items):
        edge = "first" if up else "last"
        messages.info(request, f"Nothing moved: {what} is already {edge}.")
        return _list_url(page, f"service-{service.pk}")
    items[position], items[target] = items[target], items[position]  # type: ignore[assignment]
    order = [item.pk for block in blocks for item in block.services]
    pages.reorder_services(page, order, actor=actor_of(request))
    messages.success(request, f"Moved {what} {'up' if up else 'down'}.")
    return _list_url(page, f"service-{service.pk}")


def _moved_thing(service: Service, block: Block, whole_block: bool) -> str:
    if not whole_block:
        return f"“{service.name}”"
    if block.group is not None:
        return f"the group “{block.group.name}”"
    return "this run of ungrouped services"


@console_view
@require_POST
def service_order(request: HttpRequest, slug: str) -> HttpResponse:
    """Save a whole order sent by the drag-and-drop script: `order` lists every service id."""
    page, _ = member_page(request, slug, need=Role.EDITOR)
    raw = request.POST.get("order", "")
    try:
        ordered = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        return JsonResponse({"error": f"{raw[:80]!r} is not a list of service ids."},
                            status=400)
    try:
        pages.reorder_services(page, ordered, actor=actor_of(request))
    except DomainError as error:
        message = f"{error.message} The list may have changed since you loaded it: reload."
        return JsonResponse({"error": message, "field": error.field}, status=409)
    return JsonResponse({"order": ordered})


@console_view
@require_http_methods(["GET", "POST"])
def service_remove(request: HttpRequest, slug: str, service_id: int) -> HttpResponse:
    """Show what removing a service affects; remove it on POST."""
    page, role = member_page(request, slug, need=Role.EDITOR)
    service = Service.objects.filter(pk=service_id, page=page).first()
    if service is None:
        return already_deleted(request, page, "service", service_id, _list_url(page),
                               action="remove")
    if request.method == "POST":
        name = service.name
        pages.remove_service(service, actor=actor_of(request))
        messages.success(request, f"Removed the service “{name}”.")
        return HttpResponseRedirect(_list_url(page))
    context = work_context(request, page, role, "services", service=service,
                           **_effects_of_removal(service))
    return render(request, "console/services/remove.html", context)


def _effects_of_removal(service: Service) -> dict[str, object]:
    incidents = Incident.objects.filter(services=service)
    return {
        "open_incidents": list(incidents.filter(closed_at__isnull=True).order_by("opened_at")),
        "past_incident_count": incidents.filter(closed_at__isnull=False).count(),
        "maintenances": list(
            Maintenance.objects.filter(services=service)
            .exclude(status=MaintenanceStatus.COMPLETED).order_by("starts_at")
        ),
        "past_maintenance_count": Maintenance.objects.filter(
            services=service, status=MaintenanceStatus.COMPLETED
        ).count(),
    }


@console_view
@require_POST
def group_remove(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    """Remove a group; its services stay on the page, ungrouped.

    NOTE: a group cannot be renamed here, because `heliograph.domain.pages` has no function
    for it. An editor adds a group with the new name and moves the services into it.
    """
    page, _ = member_page(request, slug, need=Role.EDITOR)
    group = ServiceGroup.objects.filter(pk=group_id, page=page).first()
    if group is None:
        return already_deleted(request, page, "group", group_id, _list_url(page),
                               action="remove", object_type="servicegroup")
    name = group.name
    pages.remove_group(group, actor=actor_of(request))
    messages.success(request, f"Removed the group “{name}”; its services are now ungrouped.")
    return HttpResponseRedirect(_list_url(page))
