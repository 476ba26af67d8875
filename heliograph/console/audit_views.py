"""A page's audit log: who changed what and when, with the values before and after.

Owners and editors read it; viewers get 403, because entries name members' e-mail
addresses and token names.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from heliograph.console.access import console_view, member_page
from heliograph.domain.models import AuditEntry, Role
from heliograph.domain.queries import page_zone
from heliograph.public.timefmt import zone_abbreviation

PER_PAGE = 50
# Values longer than this are cut in the table; the full value stays in the database.
MAX_VALUE_CHARS = 500
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ACTION_GROUPS = [
    ("", "All changes"),
    ("page.", "Page settings"),
    ("member.", "Members"),
    ("invitation.", "Invitations"),
    ("service.", "Services"),
    ("group.", "Service groups"),
    ("incident.", "Incidents"),
    ("maintenance.", "Maintenances"),
    ("token.", "API tokens"),
]


@dataclass(frozen=True)
class Change:
    key: str
    before: str
    after: str
    kind: str  # "added", "removed" or "changed"


@dataclass(frozen=True)
class EntryView:
    entry: AuditEntry
    local_time: str
    iso_time: str
    changes: list[Change]
    unchanged: int


def diff(before: Any, after: Any, zone: dt.tzinfo = dt.UTC) -> tuple[list[Change], int]:
    """Return the keys whose values differ between `before` and `after`, and how many match.

    A missing side (a creation or a deletion) shows every key of the other side. Times are
    shown in `zone`.
    """
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    changes: list[Change] = []
    unchanged = 0
    for key in sorted(set(old) | set(new)):
        in_old, in_new = key in old, key in new
        if in_old and in_new and old[key] == new[key]:
            unchanged += 1
            continue
        if in_old and in_new:
            kind = "changed"
        elif in_new:
            kind = "added"
        else:
            kind = "removed"
        changes.append(Change(
            key=key,
            before=format_value(old[key], zone) if in_old else "",
            after=format_value(new[key], zone) if in_new else "",
            kind=kind,
        ))
    return changes, unchanged


def format_value(value: Any, zone: dt.tzinfo = dt.UTC) -> str:
    if value is None:
        return "(none)"
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        return _local_instant(value, zone)
    if isinstance(value, str):
        text = value if value else "(empty)"
    else:
        text = json.dumps(value, ensure_ascii=False)
    if len(text) > MAX_VALUE_CHARS:
        return text[:MAX_VALUE_CHARS] + f"… ({len(text)} characters)"
    return text


def _local_instant(value: str, zone: dt.tzinfo) -> str:
    """Return an ISO 8601 instant, as the domain stores it, in `zone` with the zone named."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M:%S} {zone_abbreviation(local)}"


@require_GET
@console_view
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    action = request.GET.get("action", "")
    if action not in dict(ACTION_GROUPS):
        action = ""
    actor = request.GET.get("actor", "").strip()[:200]

    entries = AuditEntry.objects.filter(page=page).select_related("actor")
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(Q(actor__email__iexact=actor) | Q(actor_label__icontains=actor))
    paginator = Paginator(entries.order_by("-at", "-id"), PER_PAGE)
    listing = paginator.get_page(request.GET.get("page"))

    zone = page_zone(page)
    views = [_entry_view(entry, zone) for entry in listing.object_list]
    actors = sorted(set(
        AuditEntry.objects.filter(page=page, actor__isnull=False)
        .values_list("actor__email", flat=True)
    ))
    filters = {key: value for key, value in (("action", action), ("actor", actor)) if value}
    return render(request, "console/audit.html", {
        "page": page,
        "role": role,
        "section": "audit",
        "entries": views,
        "listing": listing,
        "action": action,
        "actor": actor,
        "action_groups": ACTION_GROUPS,
        "actors": actors,
        "filter_query": urlencode(filters),
        "zone_name": zone.key,
    })


def _entry_view(entry: AuditEntry, zone: dt.tzinfo) -> EntryView:
    local = entry.at.astimezone(zone)
    changes, unchanged = diff(entry.before, entry.after, zone)
    return EntryView(
        entry=entry,
        local_time=f"{local:%Y-%m-%d %H:%M:%S} {zone_abbreviation(local)}",
        iso_time=entry.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        changes=changes,
        unchanged=unchanged,
    )
