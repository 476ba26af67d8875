"""Forms of a page's members and invitations."""

from __future__ import annotations

from django import forms

from heliograph.console.form_common import ConsoleForm
from heliograph.domain.models import Role

ROLE_CHOICES = [
    (Role.VIEWER.value, "Viewer: reads everything in the console, changes nothing"),
    (Role.EDITOR.value, "Editor: runs incidents, maintenances and services"),
    (Role.OWNER.value, "Owner: everything, including settings, members and deletion"),
]


class InviteForm(ConsoleForm):
    email = forms.EmailField(
        label="E-mail address", max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
        help_text="The invitation link works for an account with this address only.",
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Role.EDITOR.value,
                             widget=forms.RadioSelect)


class RoleForm(ConsoleForm):
    role = forms.ChoiceField(choices=[(role.value, role.label) for role in Role])
