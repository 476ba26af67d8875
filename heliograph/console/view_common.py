"""Helpers shared by the service, incident and maintenance views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.utils import timezone

from heliograph.console import once
from heliograph.console.access import can
from heliograph.console.form_common import ConsoleForm
from heliograph.console.incident_forms import SOME_SERVICES
from heliograph.console.local_time import describe_zone
from heliograph.domain.errors import DomainError
from heliograph.domain.models import AuditEntry, Page, Role
from heliograph.domain.queries import page_zone
from heliograph.lib import markdown
from heliograph.lib.urls import public_url

PREVIEW_BUTTON = "preview"


def work_context(request: HttpRequest, page: Page, role: Role, section: str,
                 **extra: Any) -> dict[str, Any]:
    """Return what every screen of this part of the console needs, plus `extra`."""
    zone = page_zone(page)
    return {
        "page": page,
        "role": role,
        "section": section,
        "zone": zone,
        "zone_text": describe_zone(zone, timezone.now()),
        "can_edit": can(role, Role.EDITOR),
        "is_owner": can(role, Role.OWNER),
        "public_url": public_url(page),
        "form_token": once.token_for(request),
        "token_field": once.FIELD,
        **extra,
    }


def wants_preview(request: HttpRequest) -> bool:
    """Return whether the form was sent with its Preview button (the no-script preview)."""
    return request.method == "POST" and PREVIEW_BUTTON in request.POST


def previews(form: forms.Form, *names: str) -> dict[str, str]:
    """Return the public rendering of the form's Markdown fields as typed, by field name."""
    if not form.is_bound:
        return {name: markdown.render(str(form.initial.get(name) or "")) for name in names}
    return {name: markdown.render(form.data.get(form.add_prefix(name), "")) for name in names}


def submit_once(request: HttpRequest, form: ConsoleForm,
                action: Callable[[], str]) -> HttpResponse | None:
    """Apply a valid form once; return its redirect, or None after showing the error on it."""
    if wants_preview(request) or not form.is_valid():
        return None
    try:
        return once.run_once(request, action)
    except DomainError as error:
        form.show_error(error)
    except once.MissingToken as error:
        form.add_error(None, str(error))
    return None


def status_of(request: HttpRequest, form: ConsoleForm) -> int:
    """Return the status of a form shown again: 200 for its preview, 409 when the current
    state rejected it (closing a closed incident), and 422 for other errors."""
    if wants_preview(request) or not form.errors:
        return 200
    return 409 if form.conflicts else 422


def already_deleted(
    request: HttpRequest, page: Page, kind: str, object_id: int, list_url: str,
    *, action: str = "delete", object_type: str = "",
) -> HttpResponse:
    """Redirect a repeated delete to the list with a notice.

    Only an object whose deletion the page's audit log records counts as already deleted. Any
    other id, such as one of another page, is a 404, and so is a GET.
    """
    deleted = AuditEntry.objects.filter(
        page=page, object_type=object_type or kind, object_id=object_id,
        action__endswith=f".{action}",
    ).exists()
    if request.method == "POST" and deleted:
        verb = "removed" if action == "remove" else "deleted"
        messages.info(request, f"That {kind} was already {verb}.")
        return HttpResponseRedirect(list_url)
    raise Http404


def publish_summary(form: forms.Form) -> str:
    """Describe what publishing the form shows: state, status and services, as typed.

    `work.js` rewrites the same sentence in the browser as the editor changes the form.
    """
    state, status = _chosen_labels(form, "state"), _chosen_labels(form, "status")
    head = f"{state[0]} · {status[0]}." if state and status else "Choose a state and a status."
    services = ", ".join(_chosen_labels(form, "services"))
    if "scope" not in form.fields:
        tail = (f"Affected services: {services}." if services
                else "No service named: only the banner and the incident show it.")
    elif SOME_SERVICES not in _chosen_values(form, "scope"):
        tail = "Concerns all the incident's affected services."
    else:
        tail = f"Concerns only: {services}." if services else "Concerns no service."
    return f"{head} {tail}"


def _chosen_values(form: forms.Form, name: str) -> set[str]:
    if name not in form.fields:
        return set()
    if form.is_bound:
        data = form.data
        key = form.add_prefix(name)
        return set(data.getlist(key)) if isinstance(data, QueryDict) else {str(data.get(key))}
    raw = form.initial.get(name, form.fields[name].initial)
    items = raw if isinstance(raw, list | tuple) else [raw]
    return {str(item) for item in items if item not in (None, "")}


def _chosen_labels(form: forms.Form, name: str) -> list[str]:
    picked = _chosen_values(form, name)
    if not picked:
        return []
    choices = getattr(form.fields[name], "choices", [])
    return [str(text) for value, text in choices if str(value) in picked]
