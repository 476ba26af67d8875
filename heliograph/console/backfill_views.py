"""Record a past incident: its title, services and updates as rows, the last one resolved."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from heliograph.console import once
from heliograph.console.access import actor_of, console_view, member_page
from heliograph.console.form_common import indexed_field
from heliograph.console.incident_forms import (
    MAX_PAST_EVENTS,
    BackfillForm,
    PastEventFormSet,
)
from heliograph.console.incident_views import incident_url
from heliograph.console.view_common import work_context
from heliograph.domain import incidents
from heliograph.domain.errors import DomainError
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import Page, Role
from heliograph.domain.queries import page_zone
from heliograph.domain.vocab import State, Status

_ROW_FIELD = re.compile(r"events\.\d+\.(?P<field>\w+)")
_FIELD_NAMES = {"at": "the time", "state": "the state", "status": "the status", "text": "the text"}
ROWS_PREFIX = "events"
ADD_ROW_BUTTON = "add_row"


@console_view
@require_http_methods(["GET", "POST"])
def incident_backfill(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    zone = page_zone(page)
    data: QueryDict | None = request.POST if request.method == "POST" else None
    adding_row = data is not None and ADD_ROW_BUTTON in data
    if data is not None and adding_row:
        data = _with_another_row(data)
    form = BackfillForm(data, page=page)
    rows = PastEventFormSet(data, prefix=ROWS_PREFIX, form_kwargs={"zone": zone})
    status = 200
    if data is not None and not adding_row:
        if form.is_valid() and rows.is_valid():
            try:
                return once.run_once(request, lambda: _record(request, page, form, rows))
            except DomainError as error:
                _show_error(form, rows, error)
            except once.MissingToken as error:
                form.add_error(None, str(error))
        status = 422
    context = work_context(request, page, role, "incidents", form=form, rows=rows,
                           add_row_button=ADD_ROW_BUTTON, max_rows=MAX_PAST_EVENTS)
    return render(request, "console/incidents/backfill.html", context, status=status)


def _with_another_row(data: QueryDict) -> QueryDict:
    copy = data.copy()
    total_key = f"{ROWS_PREFIX}-TOTAL_FORMS"
    try:
        total = int(copy.get(total_key, "0"))
    except ValueError:
        total = 0
    copy[total_key] = str(min(total + 1, MAX_PAST_EVENTS))
    return copy


def _filled(rows: BaseFormSet[Any]) -> list[int]:
    """Return the indexes of the rows with any input; empty rows are skipped."""
    return [index for index, row in enumerate(rows.forms) if row.has_changed()]


def _record(request: HttpRequest, page: Page, form: BackfillForm,
            rows: BaseFormSet[Any]) -> str:
    events = []
    for index in _filled(rows):
        values = rows.forms[index].cleaned_data
        events.append(PastEvent(
            at=values["at"], status=Status(values["status"]), text=values["text"],
            state=State(values["state"]) if values.get("state") else None,
        ))
    incident = incidents.backfill_incident(
        page, title=form.cleaned_data["title"],
        services=[service.pk for service in form.cleaned_data["services"]],
        events=events, actor=actor_of(request),
    )
    messages.success(request, f"Recorded the past incident “{incident.title}”: it is in the "
                     "history and its outage figures now.")
    return incident_url(incident)


def _show_error(form: BackfillForm, rows: BaseFormSet[Any], error: DomainError) -> None:
    """Show a rejected rule on the row and field it names ("events.1.status")."""
    located = indexed_field(error.field)
    filled = _filled(rows)
    if located is not None and located[0] < len(filled):
        index, name = located
        row = rows.forms[filled[index]]
        row.add_error(name if name in row.fields else None, _row_message(error.message))
        return
    form.show_error(error)


def _row_message(message: str) -> str:
    """Name a row's field as its label: "events.1.at is in the future." → "The time is …"."""
    def name(match: re.Match[str]) -> str:
        return _FIELD_NAMES.get(match["field"], match["field"])

    text = _ROW_FIELD.sub(name, message)
    return text[:1].upper() + text[1:]
