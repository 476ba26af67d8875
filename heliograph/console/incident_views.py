"""The incident screens: the list, open, update, close, backfill, correct and delete."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heliograph.console.access import actor_of, console_view, member_page
from heliograph.console.form_common import ConsoleForm
from heliograph.console.incident_deliveries import delivery_context
from heliograph.console.incident_forms import (
    CloseForm,
    DeleteIncidentForm,
    EditIncidentForm,
    EventForm,
    EventTextForm,
    OpenIncidentForm,
)
from heliograph.console.view_common import (
    already_deleted,
    previews,
    publish_summary,
    status_of,
    submit_once,
    wants_preview,
    work_context,
)
from heliograph.domain import incidents
from heliograph.domain.incidents import DEFAULT_CLOSING_TEXT
from heliograph.domain.models import Incident, IncidentEvent, Page, Role
from heliograph.domain.queries import page_zone
from heliograph.domain.vocab import State, Status
from heliograph.notifications import post_text
from heliograph.social import proposals
from heliograph.social.composer import (
    NEW_INCIDENT_TAIL,
    Composer,
    composer_for,
    post_deliveries,
    raw_text,
)

RECENT_PER_PAGE = 20
EVENT_PREFIX = "update"
CLOSE_PREFIX = "close"


def incident_url(incident: Incident, anchor: str = "") -> str:
    url = reverse("console:incident", args=[incident.page.slug, incident.pk])
    return f"{url}#{anchor}" if anchor else url


def submit_with_posts(request: HttpRequest, form: ConsoleForm, composer: Composer,
                      action: Callable[[], str]) -> HttpResponse | None:
    """Apply a valid form and its valid post choices once, like `submit_once`."""
    # Both are validated, so the form shows every error at once.
    posts_valid = composer.is_valid()
    if not posts_valid and not wants_preview(request):
        form.is_valid()
        return None
    return submit_once(request, form, action)


def status_with_posts(request: HttpRequest, form: ConsoleForm, composer: Composer) -> int:
    """Return `status_of` the form, or 422 when only a post was rejected."""
    if composer.errors and not wants_preview(request):
        return 422
    return status_of(request, form)


def _incident_composer(page: Page, form: ConsoleForm, data: object, *, title: str | None,
                       tail: str, prefix: str = "", closing: bool = False) -> Composer:
    """Build the post forms that propose a post from the incident form's current values."""

    def propose(rules: post_text.Network) -> str:
        if closing:
            state, status = State.OPERATIONAL.value, Status.RESOLVED.value
            text = raw_text(form, "text") or DEFAULT_CLOSING_TEXT
        else:
            state, status = raw_text(form, "state"), raw_text(form, "status")
            text = raw_text(form, "text")
        return proposals.propose_draft_incident(
            page, title=raw_text(form, "title") if title is None else title, state=state,
            status=status, text=text, tail=tail, rules=rules,
        )

    return composer_for(page, data, propose, prefix=prefix)


# The list


@console_view
@require_GET
def incident_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Show open incidents first, newest first, then closed ones, most recently closed first."""
    page, role = member_page(request, slug)
    listed = Incident.objects.filter(page=page).select_related("latest_event").prefetch_related(
        "services"
    )
    open_ones = listed.filter(closed_at__isnull=True).order_by("-opened_at", "-id")
    closed = Paginator(listed.filter(closed_at__isnull=False).order_by("-closed_at", "-id"),
                       RECENT_PER_PAGE)
    recent = closed.get_page(request.GET.get("page"))
    context = work_context(request, page, role, "incidents", open_incidents=list(open_ones),
                           recent=recent)
    return render(request, "console/incidents/list.html", context)


# Open


@console_view
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    data = request.POST if request.method == "POST" else None
    form = OpenIncidentForm(data, page=page, zone=page_zone(page))
    composer = _incident_composer(page, form, data, title=None, tail=NEW_INCIDENT_TAIL)
    if data is not None:
        done = submit_with_posts(request, form, composer,
                                 lambda: _open(request, page, form, composer))
        if done is not None:
            return done
    context = work_context(request, page, role, "incidents", form=form, composer=composer,
                           previews=previews(form, "text"), summary=publish_summary(form))
    return render(request, "console/incidents/new.html", context,
                  status=status_with_posts(request, form, composer))


def _open(request: HttpRequest, page: Page, form: OpenIncidentForm, composer: Composer) -> str:
    data = form.cleaned_data
    incident = incidents.open_incident(
        page, title=data["title"], text=data["text"], state=State(data["state"]),
        status=Status(data["status"]), services=[service.pk for service in data["services"]],
        at=data.get("at"), actor=actor_of(request),
    )
    first = incident.events.order_by("id").first()
    if first is not None:
        composer.apply(post_deliveries(incident_event_id=first.pk),
                       placeholder_tail=NEW_INCIDENT_TAIL, real_tail=f"incidents/{incident.pk}")
    messages.success(request, f"Opened “{incident.title}”: it is on the public page now.")
    return incident_url(incident)


# One incident


def _incident(page: Page, incident_id: int) -> Incident:
    return get_object_or_404(
        Incident.objects.select_related("page", "latest_event").prefetch_related("services"),
        pk=incident_id, page=page,
    )


def _event_composer(incident: Incident, form: EventForm, data: object) -> Composer:
    return _incident_composer(incident.page, form, data, title=incident.title,
                              tail=f"incidents/{incident.pk}", prefix=EVENT_PREFIX)


def _close_composer(incident: Incident, form: CloseForm, data: object) -> Composer:
    return _incident_composer(incident.page, form, data, title=incident.title,
                              tail=f"incidents/{incident.pk}", prefix=CLOSE_PREFIX,
                              closing=True)


def _render_incident(request: HttpRequest, page: Page, role: Role, incident: Incident, *,
                     event_form: EventForm | None = None, close_form: CloseForm | None = None,
                     event_composer: Composer | None = None,
                     close_composer: Composer | None = None,
                     status: int = 200) -> HttpResponse:
    zone = page_zone(page)
    if event_form is None:
        event_form = EventForm(initial=EventForm.initial_of(incident), incident=incident,
                               zone=zone, prefix=EVENT_PREFIX)
    if close_form is None:
        close_form = CloseForm(zone=zone, prefix=CLOSE_PREFIX)
    if event_composer is None:
        event_composer = _event_composer(incident, event_form, None)
    if close_composer is None:
        close_composer = _close_composer(incident, close_form, None)
    events = list(
        incident.events.select_related("author").prefetch_related("services")
        .order_by("-at", "-id")
    )
    context = work_context(
        request, page, role, "incidents", incident=incident, events=events,
        event_form=event_form, close_form=close_form,
        event_composer=event_composer, close_composer=close_composer,
        **delivery_context(request, incident=incident, events=events),
        event_preview=previews(event_form, "text")["text"],
        close_preview=previews(close_form, "text")["text"],
        event_summary=publish_summary(event_form),
        # A closed incident shows its forms only to keep text typed before it closed.
        show_forms=incident.is_open or event_form.is_bound or close_form.is_bound,
    )
    return render(request, "console/incidents/detail.html", context, status=status)


@console_view
@require_GET
def incident_detail(request: HttpRequest, slug: str, incident_id: int) -> HttpResponse:
    page, role = member_page(request, slug)
    return _render_incident(request, page, role, _incident(page, incident_id))


@console_view
@require_POST
def incident_post_event(request: HttpRequest, slug: str, incident_id: int) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    incident = _incident(page, incident_id)
    form = EventForm(request.POST, incident=incident, zone=page_zone(page), prefix=EVENT_PREFIX)
    composer = _event_composer(incident, form, request.POST)
    done = submit_with_posts(request, form, composer,
                             lambda: _post(request, incident, form, composer))
    if done is not None:
        return done
    return _render_incident(request, page, role, incident, event_form=form,
                            event_composer=composer,
                            status=status_with_posts(request, form, composer))


def _post(request: HttpRequest, incident: Incident, form: EventForm, composer: Composer) -> str:
    data = form.cleaned_data
    event = incidents.post_event(
        incident, text=data["text"], state=State(data["state"]), status=Status(data["status"]),
        at=data.get("at"), services=form.chosen_services(), actor=actor_of(request),
    )
    composer.apply(post_deliveries(incident_event_id=event.pk))
    if event.status == Status.RESOLVED:
        messages.success(request, "Posted the update and closed the incident.")
    else:
        messages.success(request, "Posted the update: it is on the public page now.")
    return incident_url(incident, f"event-{event.pk}")


@console_view
@require_POST
def incident_close(request: HttpRequest, slug: str, incident_id: int) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    incident = _incident(page, incident_id)
    form = CloseForm(request.POST, zone=page_zone(page), prefix=CLOSE_PREFIX)
    composer = _close_composer(incident, form, request.POST)
    done = submit_with_posts(request, form, composer,
                             lambda: _close(request, incident, form, composer))
    if done is not None:
        return done
    return _render_incident(request, page, role, incident, close_form=form,
                            close_composer=composer,
                            status=status_with_posts(request, form, composer))


def _close(request: HttpRequest, incident: Incident, form: CloseForm, composer: Composer) -> str:
    event = incidents.close_incident(
        incident, text=form.cleaned_data["text"] or None, at=form.cleaned_data.get("at"),
        actor=actor_of(request),
    )
    composer.apply(post_deliveries(incident_event_id=event.pk))
    messages.success(request, "Closed the incident: the public page shows it as resolved.")
    return incident_url(incident, f"event-{event.pk}")


@console_view
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, slug: str, incident_id: int) -> HttpResponse:
    """Change the title and, while it is open, the affected services."""
    page, role = member_page(request, slug, need=Role.EDITOR)
    incident = _incident(page, incident_id)
    data = request.POST if request.method == "POST" else None
    form = EditIncidentForm(data, initial=EditIncidentForm.initial_of(incident),
                            incident=incident)
    if data is not None:
        done = submit_once(request, form, lambda: _edit(request, incident, form))
        if done is not None:
            return done
    context = work_context(request, page, role, "incidents", incident=incident, form=form)
    return render(request, "console/incidents/edit.html", context,
                  status=status_of(request, form))


def _edit(request: HttpRequest, incident: Incident, form: EditIncidentForm) -> str:
    services = form.cleaned_data.get("services")
    incidents.update_incident(
        incident, title=form.cleaned_data["title"],
        services=None if services is None else [service.pk for service in services],
        actor=actor_of(request),
    )
    messages.success(request, "Saved the incident.")
    return incident_url(incident)


@console_view
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, slug: str, incident_id: int, event_id: int) -> HttpResponse:
    """Correct the text of one update; the audit log keeps the text it replaces."""
    page, role = member_page(request, slug, need=Role.EDITOR)
    incident = _incident(page, incident_id)
    event = get_object_or_404(IncidentEvent, pk=event_id, incident=incident)
    data = request.POST if request.method == "POST" else None
    form = EventTextForm(data, initial=EventTextForm.initial_of(event))
    if data is not None:
        done = submit_once(request, form, lambda: _correct(request, incident, event, form))
        if done is not None:
            return done
    context = work_context(request, page, role, "incidents", incident=incident, event=event,
                           form=form, previews=previews(form, "text"))
    return render(request, "console/incidents/edit_event.html", context,
                  status=status_of(request, form))


def _correct(request: HttpRequest, incident: Incident, event: IncidentEvent,
             form: EventTextForm) -> str:
    incidents.edit_event_text(event, text=form.cleaned_data["text"], actor=actor_of(request))
    messages.success(request, "Corrected the update; the audit log keeps the old text.")
    return incident_url(incident, f"event-{event.pk}")


@console_view
@require_http_methods(["GET", "POST"])
def incident_delete(request: HttpRequest, slug: str, incident_id: int) -> HttpResponse:
    """Delete an incident for good, after its title or DELETE is typed; owners only."""
    page, role = member_page(request, slug, need=Role.OWNER)
    incident = Incident.objects.filter(pk=incident_id, page=page).select_related("page").first()
    list_url = reverse("console:incidents", args=[page.slug])
    if incident is None:
        return already_deleted(request, page, "incident", incident_id, list_url)
    data = request.POST if request.method == "POST" else None
    form = DeleteIncidentForm(data, incident=incident)
    if data is not None and form.is_valid():
        title = incident.title
        incidents.delete_incident(incident, actor=actor_of(request))
        messages.success(request, f"Deleted the incident “{title}”.")
        return HttpResponseRedirect(list_url)
    context = work_context(request, page, role, "incidents", incident=incident, form=form,
                           event_count=incident.events.count())
    return render(request, "console/incidents/delete.html", context,
                  status=422 if form.errors else 200)
