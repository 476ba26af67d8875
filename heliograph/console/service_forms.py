"""Forms of the services screen: add or edit a service, with its group."""

from __future__ import annotations

from typing import Any

from django import forms

from heliograph.console.form_common import ConsoleForm
from heliograph.domain.models import Page, Service, ServiceGroup

NO_GROUP = ""
NEW_GROUP = "new"


class ServiceForm(ConsoleForm):
    name = forms.CharField(label="Name", max_length=100,
                           help_text="As the public page shows it, e.g. “API” or “Payments”.")
    description = forms.CharField(
        label="Description", max_length=2000, required=False,
        help_text="Optional. Shown under the name on the public page.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    group = forms.ChoiceField(label="Group", required=False)
    new_group = forms.CharField(
        label="New group name", max_length=100, required=False,
        help_text="Used when “A new group…” is chosen above.",
    )

    def __init__(self, *args: Any, page: Page, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page = page
        self.groups = {str(group.pk): group for group in ServiceGroup.objects.filter(page=page)}
        group_field = self.fields["group"]
        assert isinstance(group_field, forms.ChoiceField)
        group_field.choices = [
            (NO_GROUP, "No group"),
            *((key, group.name) for key, group in self.groups.items()),
            (NEW_GROUP, "A new group…"),
        ]

    @classmethod
    def initial_of(cls, service: Service) -> dict[str, Any]:
        return {
            "name": service.name,
            "description": service.description,
            "group": str(service.group_id) if service.group_id else NO_GROUP,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = (cleaned.get("new_group") or "").strip()
        # Without scripts the new-group box is always shown, so a name typed there with the
        # list left at "No group" means a new group.
        if typed and cleaned.get("group") == NO_GROUP:
            cleaned["group"] = NEW_GROUP
        elif typed and cleaned.get("group") != NEW_GROUP:
            self.add_error("new_group", "Choose “A new group…” in the list above to create "
                           "this group, or clear this box.")
        if cleaned.get("group") == NEW_GROUP:
            name = (cleaned.get("new_group") or "").strip()
            if not name:
                self.add_error("new_group", "Type the name of the new group, or choose an "
                               "existing group above.")
            elif any(group.name.casefold() == name.casefold() for group in self.groups.values()):
                self.add_error("new_group", f"A group named “{name}” already exists: choose it "
                               "in the list above.")
        return cleaned

    def chosen_group(self) -> ServiceGroup | None:
        """Return the existing group chosen; None for no group or a new one."""
        return self.groups.get(self.cleaned_data.get("group") or NO_GROUP)

    def wants_new_group(self) -> bool:
        return bool(self.cleaned_data.get("group") == NEW_GROUP)
