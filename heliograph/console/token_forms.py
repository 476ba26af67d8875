"""The form that creates an API token."""

from __future__ import annotations

from typing import Any

from django import forms

from heliograph.console.form_common import ConsoleForm, clean_label
from heliograph.domain.models import Membership, Page

ACCESS_CHOICES = [
    ("read", "Read: list and read pages, services, incidents and maintenances"),
    ("write", "Read and write: also change them, within your role on each page"),
]


class PageChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def __init__(self, *args: Any, roles: dict[int, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles = roles

    def label_from_instance(self, obj: Page) -> str:
        return f"{obj.title} ({obj.slug}), you are {self.roles.get(obj.pk, 'a member')}"


class TokenForm(ConsoleForm):
    name = forms.CharField(
        max_length=100,
        help_text="Where the token is used, such as “deploy pipeline”, so you can tell tokens "
        "apart.",
    )
    access = forms.ChoiceField(choices=ACCESS_CHOICES, initial="read", widget=forms.RadioSelect)

    def clean_name(self) -> str:
        return clean_label(self.cleaned_data["name"])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = {
            page_id: role for page_id, role in
            Membership.objects.filter(user=user).values_list("page_id", "role")
        }
        self.fields["pages"] = PageChoiceField(
            queryset=Page.objects.filter(pk__in=roles).order_by("title", "slug"),
            roles=roles,
            widget=forms.CheckboxSelectMultiple,
            help_text="The token sees these pages only.",
            error_messages={
                "required": "Choose at least one page.",
                "invalid_choice": "You are not a member of page %(value)s: reload the form and "
                "choose again.",
            },
        )
        self.order_fields(["name", "pages", "access"])
