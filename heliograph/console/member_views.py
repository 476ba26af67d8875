"""A page's members and invitations.

Every member can list who belongs to the page, and may leave it. Owners change roles, remove
members, and invite people by e-mail; the domain keeps at least one owner on every page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heliograph.console import invitations, once
from heliograph.console.access import actor_of, console_view, member_page
from heliograph.console.member_forms import InviteForm, RoleForm
from heliograph.console.models import Invitation
from heliograph.console.signed_in import user_of
from heliograph.domain import pages as domain_pages
from heliograph.domain.errors import DomainError
from heliograph.domain.models import Membership, Page, Role
from heliograph.domain.queries import page_zone
from heliograph.public.routing import HostKind, host_match

# Owners first, then editors, then viewers.
_ROLE_ORDER = Case(
    When(role=Role.OWNER, then=Value(0)), When(role=Role.EDITOR, then=Value(1)),
    default=Value(2), output_field=IntegerField(),
)


@require_GET
@console_view
def members(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug)
    return _render(request, page, role)


def _render(request: HttpRequest, page: Page, role: Role, *, invite_form: InviteForm | None = None,
            row_errors: dict[int, dict[str, str]] | None = None, status: int = 200
            ) -> HttpResponse:
    can_manage = role == Role.OWNER
    rows = (
        Membership.objects.filter(page=page).select_related("user")
        .annotate(rank=_ROLE_ORDER).order_by("rank", "user__email")
    )
    open_invitations: list[dict[str, Any]] = []
    if can_manage:
        for invitation in Invitation.objects.filter(
            page=page, accepted_at__isnull=True, revoked_at__isnull=True
        ).select_related("invited_by"):
            open_invitations.append({
                "invitation": invitation,
                "link": invitations.link_of(invitation),
                "expired": invitation.is_expired(),
            })
    return render(request, "console/members.html", {
        "page": page,
        "role": role,
        "section": "members",
        "can_manage": can_manage,
        "rows": rows,
        "roles": [(choice.value, choice.label) for choice in Role],
        "row_errors": row_errors or {},
        "invite_form": invite_form or InviteForm(),
        "form_token": once.token_for(request),
        "form_token_field": once.FIELD,
        "open_invitations": open_invitations,
        "zone": page_zone(page),
    }, status=status)


@require_POST
@console_view
def change_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.OWNER)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id,
                                   page=page)
    form = RoleForm(request.POST)
    if not form.is_valid():
        message = "; ".join(str(error) for error in form.errors.get("role", ["Choose a role."]))
        return _render(request, page, role, status=422, row_errors={
            membership.pk: {"message": message, "role": membership.role},
        })
    new_role = Role(form.cleaned_data["role"])
    try:
        domain_pages.set_member(page, membership.user, new_role, actor=actor_of(request))
    except DomainError as error:
        return _render(request, page, role, status=409, row_errors={
            membership.pk: {"message": error.message, "role": new_role.value},
        })
    if new_role.value == membership.role:
        messages.info(request, f"{membership.user.email} already is {new_role.label.lower()}.")
    else:
        messages.success(request, f"{membership.user.email} is now {new_role.label.lower()}.")
    return HttpResponseRedirect(reverse("console:members", args=[page.slug]))


@require_POST
@console_view
def remove_member(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    """Remove a member (owners only), or let any member remove themselves."""
    page, role = member_page(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id,
                                   page=page)
    leaving = membership.user_id == request.user.pk
    if not leaving and role != Role.OWNER:
        raise PermissionDenied("Only owners remove other members.")
    try:
        domain_pages.remove_member(page, membership.user, actor=actor_of(request))
    except DomainError as error:
        return _render(request, page, role, status=409, row_errors={
            membership.pk: {"message": error.message, "role": membership.role},
        })
    if leaving:
        messages.success(request, f"You left the page {page.title}.")
        return HttpResponseRedirect(reverse("console:home"))
    messages.success(request, f"Removed {membership.user.email} from the page.")
    return HttpResponseRedirect(reverse("console:members", args=[page.slug]))


@require_POST
@console_view
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.OWNER)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _render(request, page, role, invite_form=form, status=422)

    def send_invitation() -> str:
        invitation = invitations.invite(
            page, form.cleaned_data["email"], form.cleaned_data["role"],
            inviter=user_of(request), actor=actor_of(request),
        )
        role_label = Role(invitation.role).label.lower()
        if invitations.send(invitation, inviter_email=user_of(request).email):
            messages.success(request, f"Invited {invitation.email} as {role_label}. The link in "
                                      "the e-mail works for 7 days.")
        else:
            messages.warning(request, f"The invitation for {invitation.email} is saved, but the "
                                      "e-mail could not be sent: copy its link below and send "
                                      "it yourself.")
        return reverse("console:members", args=[page.slug]) + "#invitations"

    try:
        return once.run_once(request, send_invitation)
    except (DomainError, once.MissingToken) as error:
        if isinstance(error, DomainError):
            form.show_error(error)
        else:
            form.add_error(None, str(error))
        return _render(request, page, role, invite_form=form, status=422)


@require_POST
@console_view
def revoke_invitation(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    page, _ = member_page(request, slug, need=Role.OWNER)
    invitation = get_object_or_404(Invitation, pk=invitation_id, page=page)
    invitations.revoke(invitation, actor=actor_of(request))
    messages.success(request, f"Withdrew the invitation for {invitation.email}: its link no "
                              "longer works.")
    return HttpResponseRedirect(reverse("console:members", args=[page.slug]) + "#invitations")


# Accepting


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show an invitation and let the signed-in user with its address accept it.

    Anyone with the link can read which page it is for, and is asked to sign in or sign up
    with the invited address. Accepting takes a POST, so a mail scanner that follows the link
    accepts nothing.
    """
    if host_match(request).kind != HostKind.MAIN:
        raise Http404
    invitation = invitations.find(token)
    if invitation is None:
        return _invitation_page(request, None, status=404, problem=(
            "This invitation link is not valid: it is incomplete, or a newer invitation "
            "replaced it. Use the link in the latest e-mail, or ask an owner of the page to "
            "invite you again."))
    user = request.user if request.user.is_authenticated else None
    problem = invitations.problem_with(invitation, user)
    if problem is not None:
        status = 403 if problem.code == "wrong_account" else 410
        return _invitation_page(request, invitation, status=status, problem=problem.message)
    if request.method == "POST":
        if user is None:
            return HttpResponseRedirect(_login_url(request.path))
        try:
            membership, joined = invitations.accept(invitation, user, actor=actor_of(request))
        except DomainError as error:
            return _invitation_page(request, invitation, status=410, problem=error.message)
        if joined:
            messages.success(request, f"You joined {invitation.page.title} as "
                                      f"{membership.get_role_display().lower()}.")
        else:
            messages.info(request, f"You already were a member of {invitation.page.title} as "
                                   f"{membership.get_role_display().lower()}; your role is "
                                   "unchanged.")
        return HttpResponseRedirect(reverse("console:dashboard", args=[invitation.page.slug]))
    return _invitation_page(request, invitation)


def _invitation_page(request: HttpRequest, invitation: Invitation | None, *, status: int = 200,
                     problem: str = "") -> HttpResponse:
    return render(request, "console/invitation.html", {
        "invitation": invitation,
        "problem": problem,
        "login_url": _login_url(request.path),
        "signup_url": _signup_url(request.path),
        "role_label": Role(invitation.role).label.lower() if invitation else "",
    }, status=status)


def _login_url(next_path: str) -> str:
    return f"{settings.LOGIN_URL}?{urlencode({'next': next_path})}"


def _signup_url(next_path: str) -> str:
    try:
        path = reverse("accounts:signup")
    except NoReverseMatch:
        return ""
    return f"{path}?{urlencode({'next': next_path})}"
