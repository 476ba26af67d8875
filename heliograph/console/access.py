"""Access to the console: signed-in users, on the main host, acting on pages they belong to.

`console_view` guards every console view; `member_page` is the only way a view reaches a
page. A user who is not a member of the page gets 404, so that the console does not reveal
which slugs exist to outsiders. A member whose role is too low for the action gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from heliograph.domain.audit import Actor
from heliograph.domain.models import Membership, Page, Role
from heliograph.public.routing import HostKind, host_match

RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}

View = Callable[..., HttpResponse]


def console_view(view: View) -> View:
    """Serve `view` on the main host only, to signed-in users (others go to the login form)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if host_match(request).kind != HostKind.MAIN:
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def member_page(request: HttpRequest, slug: str, need: Role = Role.VIEWER) -> tuple[Page, Role]:
    """Return the page `slug` and the user's role on it; 404 for non-members, 403 if too low."""
    user_id = request.user.pk
    if user_id is None:
        raise Http404
    membership = (
        Membership.objects.select_related("page").filter(page__slug=slug, user_id=user_id)
        .first()
    )
    if membership is None:
        raise Http404
    role = Role(membership.role)
    if RANK[role] < RANK[need]:
        raise PermissionDenied(f"This needs the {need.label.lower()} role on this page.")
    return membership.page, role


def can(role: Role, need: Role) -> bool:
    return RANK[role] >= RANK[need]


def actor_of(request: HttpRequest) -> Actor:
    return Actor.of_user(request.user, via="console")
