"""A page's members: roles, removal, leaving, and invitations by e-mail from end to end."""

from __future__ import annotations

import datetime as dt
import re
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from heliograph.accounts.models import User
from heliograph.console import invitations, once
from heliograph.console.models import Invitation
from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Membership, Page, Role
from tests.console.page_support import client_for, field_error, form_token, input_value, text_of

pytestmark = pytest.mark.django_db

MEMBERS = reverse("console:members", args=["acme"])
INVITE = reverse("console:invite", args=["acme"])


def membership_of(page: Page, user: Any) -> Membership:
    return Membership.objects.get(page=page, user=user)


def role_url(page: Page, user: Any) -> str:
    return reverse("console:member-role", args=[page.slug, membership_of(page, user).pk])


def remove_url(page: Page, user: Any) -> str:
    return reverse("console:member-remove", args=[page.slug, membership_of(page, user).pk])


def send_invite(user: Any, email: str, role: str = "editor") -> Any:
    client = client_for(user)
    token = form_token(client.get(MEMBERS))
    return client.post(INVITE, {once.FIELD: token, "email": email, "role": role})


def link_in(message: mail.EmailMessage) -> str:
    """Return the path of the invitation link in an e-mail's body."""
    match = re.search(r"https?://\S+/console/invitations/\S+/", str(message.body))
    assert match is not None, message.body
    return urlsplit(match.group(0)).path


def invitations_linked(html: str) -> list[Invitation | None]:
    """Return the invitation each acceptance link in `html` names.

    A link carries a signed token with the time of signing, so two links to one invitation made
    a second apart differ. The tests compare what they name instead.
    """
    tokens = re.findall(r"/console/invitations/([^/\s\"<]+)/", html)
    return [invitations.find(token) for token in tokens]


# The list and roles


@pytest.mark.parametrize("persona", ["owner", "editor", "viewer"])
def test_members_list_open_to_members(page: Page, owner: Any, editor: Any, viewer: Any,
                                      persona: str, request: pytest.FixtureRequest) -> None:
    response = client_for(request.getfixturevalue(persona)).get(MEMBERS)

    assert response.status_code == 200
    text = text_of(response)
    for email in ("owner@example.com", "editor@example.com", "viewer@example.com"):
        assert email in text


def test_members_list_hidden_from_outsider(page: Page, outsider: Any) -> None:
    assert client_for(outsider).get(MEMBERS).status_code == 404


def test_members_controls_only_for_owner(page: Page, viewer: Any, editor: Any) -> None:
    markup = client_for(viewer).get(MEMBERS).content.decode()

    assert 'name="role"' not in markup
    assert 'name="email"' not in markup
    assert "Leave the page" in markup
    assert markup.count(">Remove<") == 0


def test_owner_changes_role(page: Page, owner: Any, editor: Any) -> None:
    response = client_for(owner).post(role_url(page, editor), {"role": "viewer"})

    assert response.status_code == 302
    assert membership_of(page, editor).role == Role.VIEWER
    entry = AuditEntry.objects.filter(page=page, action="member.set").latest("id")
    assert entry.before == {"role": "editor"}
    assert entry.after == {"user": "editor@example.com", "role": "viewer"}


@pytest.mark.parametrize(("persona", "status"), [("editor", 403), ("viewer", 403),
                                                  ("outsider", 404)])
def test_role_change_rejected_for_non_owners(page: Page, owner: Any, editor: Any,
                                             persona: str, status: int,
                                             request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)

    response = client_for(user).post(role_url(page, owner), {"role": "viewer"})

    assert response.status_code == status
    assert membership_of(page, owner).role == Role.OWNER


def test_last_owner_cannot_step_down(page: Page, owner: Any) -> None:
    membership = membership_of(page, owner)

    response = client_for(owner).post(role_url(page, owner), {"role": "editor"})

    assert response.status_code == 409
    assert "at least one owner" in field_error(response, f"role-{membership.pk}")
    assert re.search(r'<option value="editor" selected>', response.content.decode())
    assert membership_of(page, owner).role == Role.OWNER


def test_invalid_role_rejected(page: Page, owner: Any, editor: Any) -> None:
    response = client_for(owner).post(role_url(page, editor), {"role": "admin"})

    assert response.status_code == 422
    assert membership_of(page, editor).role == Role.EDITOR


def test_membership_of_other_page_not_found(page: Page, owner: Any, outsider: Any) -> None:
    other = Membership.objects.get(user=outsider)

    response = client_for(owner).post(
        reverse("console:member-role", args=["acme", other.pk]), {"role": "viewer"})

    assert response.status_code == 404
    assert Membership.objects.get(pk=other.pk).role == Role.OWNER


# Removing and leaving


def test_owner_removes_member(page: Page, owner: Any, viewer: Any) -> None:
    response = client_for(owner).post(remove_url(page, viewer))

    assert response.status_code == 302
    assert not Membership.objects.filter(page=page, user=viewer).exists()
    assert AuditEntry.objects.filter(page=page, action="member.remove").count() == 1


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_non_owner_cannot_remove_others(page: Page, owner: Any, editor: Any, viewer: Any,
                                        persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    target = viewer if persona == "editor" else editor

    response = client_for(user).post(remove_url(page, target))

    assert response.status_code == 403
    assert Membership.objects.filter(page=page, user=target).exists()


def test_outsider_cannot_remove(page: Page, outsider: Any, viewer: Any) -> None:
    assert client_for(outsider).post(remove_url(page, viewer)).status_code == 404
    assert Membership.objects.filter(page=page, user=viewer).exists()


def test_viewer_leaves_page(page: Page, viewer: Any) -> None:
    client = client_for(viewer)

    response = client.post(remove_url(page, viewer))

    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert client.get(MEMBERS).status_code == 404


def test_last_owner_cannot_leave(page: Page, owner: Any) -> None:
    response = client_for(owner).post(remove_url(page, owner))

    assert response.status_code == 409
    assert "at least one owner" in text_of(response)
    assert membership_of(page, owner).role == Role.OWNER


def test_remove_needs_csrf_token(page: Page, owner: Any, viewer: Any) -> None:
    response = client_for(owner, enforce_csrf=True).post(remove_url(page, viewer))

    assert response.status_code == 403
    assert Membership.objects.filter(page=page, user=viewer).exists()


# Inviting


def test_invite_sends_mail_with_link(page: Page, owner: Any) -> None:
    response = send_invite(owner, "New.Person@Example.com", "viewer")

    assert response.status_code == 302
    invitation = Invitation.objects.get(page=page)
    assert invitation.email == "new.person@example.com"
    assert invitation.role == Role.VIEWER
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert "Acme" in message.subject
    assert "as viewer" in message.body
    assert invitations_linked(link_in(message)) == [invitation]
    assert f"{settings.HELIOGRAPH_BASE_URL}/console/invitations/" in message.body
    assert AuditEntry.objects.filter(page=page, action="invitation.create").count() == 1


def test_invite_lists_open_invitation(page: Page, owner: Any) -> None:
    send_invite(owner, "new@example.com")

    response = client_for(owner).get(MEMBERS)

    assert "new@example.com" in text_of(response)
    invitation = Invitation.objects.get()
    assert invitation in invitations_linked(response.content.decode())


def test_invite_existing_member_rejected(page: Page, owner: Any, editor: Any) -> None:
    response = send_invite(owner, "EDITOR@example.com", "owner")

    assert response.status_code == 422
    assert "already a member of this page as editor" in field_error(response, "id_email")
    assert input_value(response, "email") == "EDITOR@example.com"
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_invite_bad_address_keeps_input(page: Page, owner: Any) -> None:
    response = send_invite(owner, "not-an-address", "viewer")

    assert response.status_code == 422
    assert field_error(response, "id_email") != ""
    assert input_value(response, "email") == "not-an-address"
    assert re.search(r'<input[^>]*value="viewer"[^>]*checked', response.content.decode())


@pytest.mark.parametrize(("persona", "status"), [("editor", 403), ("viewer", 403),
                                                  ("outsider", 404)])
def test_invite_rejected_for_non_owners(page: Page, owner: Any, persona: str, status: int,
                                        request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)

    response = client_for(user).post(INVITE, {"email": "x@example.com", "role": "owner"})

    assert response.status_code == status
    assert Invitation.objects.count() == 0


def test_invite_needs_csrf_token(page: Page, owner: Any) -> None:
    client = client_for(owner, enforce_csrf=True)
    token = form_token(client.get(MEMBERS))

    response = client.post(INVITE, {once.FIELD: token, "email": "x@example.com",
                                    "role": "editor"})

    assert response.status_code == 403
    assert Invitation.objects.count() == 0


def test_invite_resent_post_sends_once(page: Page, owner: Any) -> None:
    client = client_for(owner)
    data = {once.FIELD: form_token(client.get(MEMBERS)), "email": "x@example.com",
            "role": "editor"}

    client.post(INVITE, data)
    client.post(INVITE, data)

    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_invite_again_replaces_link(page: Page, owner: Any, make_user: Callable[..., User]
                                    ) -> None:
    send_invite(owner, "new@example.com", "viewer")
    send_invite(owner, "new@example.com", "editor")
    invitee = client_for(make_user("new@example.com"))

    old = invitee.get(link_in(mail.outbox[0]))
    new = invitee.get(link_in(mail.outbox[1]))

    assert old.status_code == 410
    assert "replaced by a newer one" in text_of(old)
    assert new.status_code == 200
    assert "Join Acme as editor" in text_of(new)


def test_invite_mail_failure_keeps_invitation(page: Page, owner: Any, settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 5

    client = client_for(owner)
    token = form_token(client.get(MEMBERS))

    response = client.post(INVITE, {once.FIELD: token, "email": "new@example.com",
                                    "role": "editor"}, follow=True)

    assert response.status_code == 200
    invitation = Invitation.objects.get(email="new@example.com")
    text = text_of(response)
    assert "could not be sent: copy its link below" in text
    assert invitation in invitations_linked(response.content.decode())


def test_revoke_invitation_disables_link(page: Page, owner: Any,
                                         make_user: Callable[..., User]) -> None:
    send_invite(owner, "new@example.com")
    invitation = Invitation.objects.get()

    response = client_for(owner).post(
        reverse("console:invitation-revoke", args=["acme", invitation.pk]))

    assert response.status_code == 302
    assert Invitation.objects.get().revoked_at is not None
    invitee = client_for(make_user("new@example.com"))
    assert invitee.post(link_in(mail.outbox[0])).status_code == 410
    assert not Membership.objects.filter(page=page, user__email="new@example.com").exists()


@pytest.mark.parametrize(("persona", "status"), [("editor", 403), ("viewer", 403),
                                                  ("outsider", 404)])
def test_revoke_rejected_for_non_owners(page: Page, owner: Any, persona: str, status: int,
                                        request: pytest.FixtureRequest) -> None:
    invitation = invitations.invite(page, "new@example.com", "editor", inviter=owner,
                                    actor=Actor.of_user(owner))
    user = request.getfixturevalue(persona)

    response = client_for(user).post(
        reverse("console:invitation-revoke", args=["acme", invitation.pk]))

    assert response.status_code == status
    assert Invitation.objects.get().revoked_at is None


# Accepting


def test_invitation_end_to_end(page: Page, owner: Any, make_user: Callable[..., User]) -> None:
    send_invite(owner, "new@example.com", "editor")
    link = link_in(mail.outbox[0])

    anonymous = client_for(None).get(link)
    assert anonymous.status_code == 200
    assert f'href="/accounts/login/?next={quote(link, safe="")}"' in anonymous.content.decode()
    assert "sign in with new@example.com" in text_of(anonymous)

    invitee = make_user("new@example.com")
    client = client_for(invitee)
    shown = client.get(link)
    assert "Join Acme as editor" in text_of(shown)
    assert not Membership.objects.filter(page=page, user=invitee).exists()

    accepted = client.post(link)
    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("console:dashboard", args=["acme"])
    assert membership_of(page, invitee).role == Role.EDITOR
    assert "You joined Acme as editor." in text_of(client.get(accepted["Location"]))
    assert Invitation.objects.get().accepted_by == invitee
    assert AuditEntry.objects.filter(page=page, action="invitation.accept").count() == 1

    again = client.post(link)
    assert again.status_code == 410
    assert "already been accepted" in text_of(again)


def test_invitation_anonymous_post_goes_to_login(page: Page, owner: Any) -> None:
    send_invite(owner, "new@example.com")
    link = link_in(mail.outbox[0])

    response = client_for(None).post(link)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(link, safe='')}"
    assert Membership.objects.filter(page=page).count() == 1


def test_invitation_wrong_account_rejected(page: Page, owner: Any,
                                           make_user: Callable[..., User]) -> None:
    send_invite(owner, "new@example.com")
    intruder = make_user("intruder@example.com")

    response = client_for(intruder).post(link_in(mail.outbox[0]))

    assert response.status_code == 403
    assert "This invitation is for new@example.com" in text_of(response)
    assert not Membership.objects.filter(page=page, user=intruder).exists()


def test_invitation_expires(page: Page, owner: Any, make_user: Callable[..., User]) -> None:
    send_invite(owner, "new@example.com")
    invitee = client_for(make_user("new@example.com"))

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=7, minutes=1)):
        response = invitee.post(link_in(mail.outbox[0]))

    assert response.status_code == 410
    assert "has expired" in text_of(response)
    assert Membership.objects.filter(page=page).count() == 1


def test_invitation_tampered_token_not_found(page: Page, owner: Any,
                                             make_user: Callable[..., User]) -> None:
    send_invite(owner, "new@example.com")
    link = link_in(mail.outbox[0])
    forged = link.replace(link.split("/")[-2], link.split("/")[-2][:-3] + "abc")
    invitee = client_for(make_user("new@example.com"))

    response = invitee.post(forged)

    assert response.status_code == 404
    assert Membership.objects.filter(page=page).count() == 1


def test_invitation_for_existing_member_keeps_role(
    page: Page, owner: Any, make_user: Callable[..., User]
) -> None:
    send_invite(owner, "new@example.com", "owner")
    invitee = make_user("new@example.com")
    pages.set_member(page, invitee, Role.VIEWER, actor=Actor.of_user(owner))

    response = client_for(invitee).post(link_in(mail.outbox[0]), follow=True)

    assert membership_of(page, invitee).role == Role.VIEWER
    assert Membership.objects.filter(page=page, user=invitee).count() == 1
    assert "your role is unchanged" in text_of(response)


def test_invitation_accept_needs_csrf_token(page: Page, owner: Any,
                                           make_user: Callable[..., User]) -> None:
    send_invite(owner, "new@example.com")
    invitee = make_user("new@example.com")

    response = client_for(invitee, enforce_csrf=True).post(link_in(mail.outbox[0]))

    assert response.status_code == 403
    assert not Membership.objects.filter(page=page, user=invitee).exists()


def test_invitation_on_page_host_not_found(page: Page, owner: Any) -> None:
    send_invite(owner, "new@example.com")

    response = client_for(None).get(link_in(mail.outbox[0]), HTTP_HOST="acme.localhost")

    assert response.status_code == 404
