"""Invite people to a page by e-mail, and let them accept with an account of that address.

The link in the e-mail carries the invitation's id and nonce, signed with SECRET_KEY, so it
cannot be guessed or altered. It works until the invitation expires, is revoked, or is
replaced by a newer invitation to the same address.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from heliograph.console.models import Invitation
from heliograph.domain import audit, pages
from heliograph.domain.audit import Actor
from heliograph.domain.errors import Conflict, InvalidValue, RuleViolation
from heliograph.domain.models import Membership, Page, Role
from heliograph.domain.validation import check_choice

logger = logging.getLogger(__name__)

LIFETIME = dt.timedelta(days=7)
_SALT = "heliograph.console.invitation"


def invite(page: Page, email: str, role: Role | str, *, inviter: Any, actor: Actor) -> Invitation:
    """Create an invitation to `page` for `email`, replacing any open one for that address.

    Raises `InvalidValue` for a malformed address or role, and `Conflict` when the address
    already belongs to a member of the page.
    """
    email = normalise_email(email)
    role = check_choice(role, Role, field="role")
    member = Membership.objects.filter(page=page, user__email__iexact=email).first()
    if member is not None:
        raise Conflict(
            "already_member",
            f"{email} is already a member of this page as {member.get_role_display().lower()}: "
            "change their role in the list of members instead.",
            field="email",
        )
    now = timezone.now()
    with transaction.atomic():
        replaced = Invitation.objects.select_for_update().filter(
            page=page, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        )
        for earlier in replaced:
            earlier.revoked_at = now
            earlier.save(update_fields=["revoked_at"])
        invitation = Invitation.objects.create(
            page=page, email=email, role=role, nonce=secrets.token_urlsafe(16),
            invited_by=inviter, created_at=now, expires_at=now + LIFETIME,
        )
        audit.record(page, actor, "invitation.create", invitation, after={
            "email": email, "role": str(role), "expires_at": invitation.expires_at.isoformat(),
        })
    return invitation


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidValue("invalid_email",
                           f"{email[:80]!r} is not an e-mail address: use the form "
                           "name@example.com.", field="email") from None
    return email


def token_of(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=_SALT)


def link_of(invitation: Invitation) -> str:
    """Return the absolute URL that accepts `invitation`, on the main host."""
    path = reverse("console:invitation", args=[token_of(invitation)])
    return f"{settings.HELIOGRAPH_BASE_URL}{path}"


def find(token: str) -> Invitation | None:
    """Return the invitation a signed token names, or None for a forged or replaced token."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int):
        return None
    invitation = Invitation.objects.select_related("page", "invited_by").filter(
        pk=payload["i"]
    ).first()
    if invitation is None or not secrets.compare_digest(invitation.nonce, str(payload.get("n"))):
        return None
    return invitation


def problem_with(invitation: Invitation, user: Any | None) -> RuleViolation | None:
    """Return why `user` cannot accept `invitation` now, or None when they can."""
    if invitation.accepted_at is not None:
        return RuleViolation("invitation_used", "This invitation has already been accepted.")
    if invitation.revoked_at is not None:
        return RuleViolation("invitation_revoked",
                             "This invitation was withdrawn or replaced by a newer one: use the "
                             "link in the latest e-mail, or ask an owner of the page to invite "
                             "you again.")
    if invitation.is_expired():
        return RuleViolation("invitation_expired",
                             "This invitation has expired: ask an owner of the page to invite "
                             "you again.")
    if user is not None and user.email.lower() != invitation.email:
        return RuleViolation("wrong_account",
                             f"This invitation is for {invitation.email}, but you are signed in "
                             f"as {user.email}: sign out, then sign in or sign up as "
                             f"{invitation.email}.")
    return None


def accept(invitation: Invitation, user: Any, *, actor: Actor) -> tuple[Membership, bool]:
    """Make `user` a member of the invitation's page with its role; return the membership
    and whether it is new.

    A user who is already a member keeps their role, so an old invitation cannot demote an
    owner or promote a viewer behind the owners' backs. Raises `RuleViolation` when the
    invitation is used, revoked, expired or meant for another address.
    """
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().select_related("page").get(
            pk=invitation.pk
        )
        problem = problem_with(locked, user)
        if problem is not None:
            raise problem
        page = locked.page
        membership = Membership.objects.filter(page=page, user=user).first()
        joined = membership is None
        if membership is None:
            membership = pages.set_member(page, user, Role(locked.role), actor=actor)
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(page, actor, "invitation.accept", locked,
                     after={"email": locked.email, "role": membership.role})
    return membership, joined


def revoke(invitation: Invitation, *, actor: Actor) -> None:
    """Withdraw an open invitation; its link stops working at once."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_open:
            return
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(locked.page, actor, "invitation.revoke", locked,
                     before={"email": locked.email, "role": locked.role})


def send(invitation: Invitation, *, inviter_email: str) -> bool:
    """Send the invitation's e-mail; return False, after logging why, when sending failed.

    A failure leaves the invitation in place, so the owner can copy its link instead.
    """
    page = invitation.page
    role = Role(invitation.role).label.lower()
    expires = invitation.expires_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    subject = f"You are invited to the status page {page.title}"
    body = (
        f"{inviter_email} invited you to help run the status page \u201c{page.title}\u201d "
        f"on Heliograph, as {role}.\n\n"
        f"Accept the invitation here:\n{link_of(invitation)}\n\n"
        f"To accept, sign in with {invitation.email}, or create an account with that "
        f"address. The link works until {expires}.\n\n"
        "If you did not expect this e-mail, you can ignore it.\n"
    )
    try:
        send_mail(subject, body, None, [invitation.email])
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("invitation %s to %s for page %s not sent: %s",
                       invitation.pk, invitation.email, page.slug, error)
        return False
    return True
