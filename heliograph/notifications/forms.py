"""The subscription forms of the public page: subscribe, and change the chosen services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from heliograph.domain.models import Page

SCOPES = [("all", gettext_lazy("All services")),
          ("chosen", gettext_lazy("Only the services I choose"))]


class ServicesForm(forms.Form):
    scope = forms.ChoiceField(choices=SCOPES, initial="all", widget=forms.RadioSelect)
    services = forms.TypedMultipleChoiceField(coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, page: Page, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = self.fields["services"]
        assert isinstance(services, forms.TypedMultipleChoiceField)
        services.choices = [
            (service.pk, service.name) for service in page.services.order_by("position", "id")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "chosen" and not data.get("services"):
            self.add_error("services", gettext("Choose at least one service, or all services."))
        return data

    def chosen_services(self) -> list[int] | None:
        """Return the chosen service ids, or None for all services."""
        if self.cleaned_data["scope"] == "all":
            return None
        return list(self.cleaned_data["services"])


class SubscribeForm(ServicesForm):
    email = forms.EmailField(max_length=254, label=gettext_lazy("E-mail address"),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    field_order = ["email", "scope", "services"]
