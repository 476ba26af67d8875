"""The maintenance screens: the list, schedule, edit, post an update, close and delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heliograph.console.access import actor_of, console_view, member_page
from heliograph.console.incident_deliveries import delivery_context
from heliograph.console.incident_views import status_with_posts, submit_with_posts
from heliograph.console.maintenance_forms import (
    CloseMaintenanceForm,
    DeleteMaintenanceForm,
    MaintenanceEventForm,
    MaintenanceForm,
)
from heliograph.console.view_common import (
    already_deleted,
    previews,
    status_of,
    submit_once,
    work_context,
)
from heliograph.domain import maintenances
from heliograph.domain.models import Maintenance, Page, Role
from heliograph.domain.queries import page_zone
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.notifications import post_text
from heliograph.social import proposals
from heliograph.social.composer import (
    NEW_MAINTENANCE_TAIL,
    Composer,
    composer_for,
    form_value,
    post_deliveries,
    raw_text,
)

PAST_PER_PAGE = 20
EVENT_PREFIX = "update"
CLOSE_PREFIX = "close"


def maintenance_url(maintenance: Maintenance, anchor: str = "") -> str:
    url = reverse("console:maintenance", args=[maintenance.page.slug, maintenance.pk])
    return f"{url}#{anchor}" if anchor else url


@console_view
@require_GET
def maintenance_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Show overdue maintenances first, then in progress, upcoming, and completed ones."""
    page, role = member_page(request, slug)
    now = timezone.now()
    listed = Maintenance.objects.filter(page=page).prefetch_related("services")
    scheduled = list(listed.filter(status=MaintenanceStatus.SCHEDULED).order_by("starts_at", "id"))
    completed = Paginator(
        listed.filter(status=MaintenanceStatus.COMPLETED).order_by("-ends_at", "-id"),
        PAST_PER_PAGE,
    )
    context = work_context(
        request, page, role, "maintenances",
        overdue=[item for item in scheduled if item.is_overdue(now)],
        in_progress=list(listed.filter(status=MaintenanceStatus.IN_PROGRESS)
                         .order_by("starts_at", "id")),
        upcoming=[item for item in scheduled if not item.is_overdue(now)],
        completed=completed.get_page(request.GET.get("page")),
    )
    return render(request, "console/maintenances/list.html", context)


@console_view
@require_http_methods(["GET", "POST"])
def maintenance_new(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    data = request.POST if request.method == "POST" else None
    form = MaintenanceForm(data, page=page, zone=page_zone(page))

    def propose(rules: post_text.Network) -> str:
        return proposals.propose_draft_maintenance(
            page, title=raw_text(form, "title"), description=raw_text(form, "description"),
            starts_at=form_value(form, "starts_at"), ends_at=form_value(form, "ends_at"),
            tail=NEW_MAINTENANCE_TAIL, rules=rules,
        )

    composer = composer_for(page, data, propose)
    if data is not None:
        done = submit_with_posts(request, form, composer,
                                 lambda: _schedule(request, page, form, composer))
        if done is not None:
            return done
    context = work_context(request, page, role, "maintenances", form=form, composer=composer,
                           previews=previews(form, "description"))
    return render(request, "console/maintenances/form.html", context,
                  status=status_with_posts(request, form, composer))


def _schedule(request: HttpRequest, page: Page, form: MaintenanceForm,
              composer: Composer) -> str:
    data = form.cleaned_data
    maintenance = maintenances.schedule_maintenance(
        page, title=data["title"], description=data["description"],
        starts_at=data["starts_at"], ends_at=data["ends_at"],
        services=[service.pk for service in data["services"]],
        auto_transition=form.auto_transition(), actor=actor_of(request),
    )
    composer.apply(post_deliveries(maintenance_id=maintenance.pk),
                   placeholder_tail=NEW_MAINTENANCE_TAIL,
                   real_tail=f"maintenances/{maintenance.pk}")
    messages.success(request, f"Scheduled “{maintenance.title}”: the public page announces it.")
    return maintenance_url(maintenance)


def _maintenance(page: Page, maintenance_id: int) -> Maintenance:
    return get_object_or_404(
        Maintenance.objects.select_related("page").prefetch_related("services"),
        pk=maintenance_id, page=page,
    )


def _render_maintenance(request: HttpRequest, page: Page, role: Role, maintenance: Maintenance,
                        *, event_form: MaintenanceEventForm | None = None,
                        close_form: CloseMaintenanceForm | None = None,
                        status: int = 200) -> HttpResponse:
    zone = page_zone(page)
    if event_form is None:
        event_form = MaintenanceEventForm(maintenance=maintenance, zone=zone,
                                          prefix=EVENT_PREFIX)
    if close_form is None:
        close_form = CloseMaintenanceForm(zone=zone, prefix=CLOSE_PREFIX)
    context = work_context(
        request, page, role, "maintenances", maintenance=maintenance,
        events=list(maintenance.events.select_related("author").order_by("-at", "-id")),
        overdue=maintenance.is_overdue(),
        event_form=event_form, close_form=close_form,
        event_preview=previews(event_form, "text")["text"],
        close_preview=previews(close_form, "text")["text"],
        show_forms=(maintenance.status != MaintenanceStatus.COMPLETED or event_form.is_bound
                    or close_form.is_bound),
        **delivery_context(request, maintenance=maintenance),
    )
    return render(request, "console/maintenances/detail.html", context, status=status)


@console_view
@require_GET
def maintenance_detail(request: HttpRequest, slug: str, maintenance_id: int) -> HttpResponse:
    page, role = member_page(request, slug)
    return _render_maintenance(request, page, role, _maintenance(page, maintenance_id))


@console_view
@require_POST
def maintenance_post_event(request: HttpRequest, slug: str, maintenance_id: int) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    maintenance = _maintenance(page, maintenance_id)
    form = MaintenanceEventForm(request.POST, maintenance=maintenance, zone=page_zone(page),
                                prefix=EVENT_PREFIX)
    done = submit_once(request, form, lambda: _post(request, maintenance, form))
    if done is not None:
        return done
    return _render_maintenance(request, page, role, maintenance, event_form=form,
                               status=status_of(request, form))


def _post(request: HttpRequest, maintenance: Maintenance, form: MaintenanceEventForm) -> str:
    event = maintenances.post_event(
        maintenance, text=form.cleaned_data["text"],
        status=MaintenanceStatus(form.cleaned_data["status"]), at=form.cleaned_data.get("at"),
        actor=actor_of(request),
    )
    messages.success(request, "Posted the update: it is on the public page now.")
    return maintenance_url(maintenance, f"event-{event.pk}")


@console_view
@require_POST
def maintenance_close(request: HttpRequest, slug: str, maintenance_id: int) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    maintenance = _maintenance(page, maintenance_id)
    form = CloseMaintenanceForm(request.POST, zone=page_zone(page), prefix=CLOSE_PREFIX)
    done = submit_once(request, form, lambda: _close(request, maintenance, form))
    if done is not None:
        return done
    return _render_maintenance(request, page, role, maintenance, close_form=form,
                               status=status_of(request, form))


def _close(request: HttpRequest, maintenance: Maintenance, form: CloseMaintenanceForm) -> str:
    event = maintenances.close_maintenance(
        maintenance, text=form.cleaned_data["text"] or None, at=form.cleaned_data.get("at"),
        actor=actor_of(request),
    )
    messages.success(request, "Closed the maintenance: the public page shows it as completed.")
    return maintenance_url(maintenance, f"event-{event.pk}")


@console_view
@require_http_methods(["GET", "POST"])
def maintenance_edit(request: HttpRequest, slug: str, maintenance_id: int) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    maintenance = _maintenance(page, maintenance_id)
    data = request.POST if request.method == "POST" else None
    form = MaintenanceForm(data, initial=MaintenanceForm.initial_of(maintenance, page),
                           page=page, maintenance=maintenance, zone=page_zone(page))
    if data is not None:
        done = submit_once(request, form, lambda: _edit(request, maintenance, form))
        if done is not None:
            return done
    context = work_context(request, page, role, "maintenances", form=form,
                           maintenance=maintenance, previews=previews(form, "description"))
    return render(request, "console/maintenances/form.html", context,
                  status=status_of(request, form))


def _edit(request: HttpRequest, maintenance: Maintenance, form: MaintenanceForm) -> str:
    data = form.cleaned_data
    changes: dict[str, Any] = {"title": data["title"], "description": data["description"],
                               "auto_transition": form.auto_transition()}
    if maintenance.status != MaintenanceStatus.COMPLETED:
        changes |= {"starts_at": data["starts_at"], "ends_at": data["ends_at"],
                    "services": [service.pk for service in data["services"]]}
    maintenances.update_maintenance(maintenance, **changes, actor=actor_of(request))
    messages.success(request, "Saved the maintenance.")
    return maintenance_url(maintenance)


@console_view
@require_http_methods(["GET", "POST"])
def maintenance_delete(request: HttpRequest, slug: str, maintenance_id: int) -> HttpResponse:
    """Delete a maintenance for good, after its title or DELETE is typed; owners only."""
    page, role = member_page(request, slug, need=Role.OWNER)
    maintenance = Maintenance.objects.filter(pk=maintenance_id, page=page).first()
    list_url = reverse("console:maintenances", args=[page.slug])
    if maintenance is None:
        return already_deleted(request, page, "maintenance", maintenance_id, list_url)
    data = request.POST if request.method == "POST" else None
    form = DeleteMaintenanceForm(data, maintenance=maintenance)
    if data is not None and form.is_valid():
        title = maintenance.title
        maintenances.delete_maintenance(maintenance, actor=actor_of(request))
        messages.success(request, f"Deleted the maintenance “{title}”.")
        return HttpResponseRedirect(list_url)
    context = work_context(request, page, role, "maintenances", maintenance=maintenance,
                           form=form)
    return render(request, "console/maintenances/delete.html", context,
                  status=422 if form.errors else 200)
