"""Forms of a page's creation, settings and deletion.

The forms check what a browser may get wrong: required fields, the slug confirmation, a
time zone typed in the wrong case. The domain's rules check the values themselves, and their
errors are shown on the field they name.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from heliograph.console import logos
from heliograph.console.form_common import ConsoleForm
from heliograph.domain.errors import DomainError
from heliograph.domain.models import Page
from heliograph.domain.pages import PAGE_FIELDS, clean_page_fields
from heliograph.domain.validation import time_zone_names
from heliograph.domain.vocab import BannerColorRule, Theme

TIME_ZONE_LIST_ID = "time-zones"
BANNER_RULES = [
    (BannerColorRule.FIRST_OPENED.value,
     "The incident opened first: the colour stays put while later incidents come and go"),
    (BannerColorRule.WORST.value,
     "The worst open incident: the colour always shows the most severe state"),
]
THEMES = [
    (Theme.AUTO.value, "Follow each visitor's system setting"),
    (Theme.LIGHT.value, "Always light"),
    (Theme.DARK.value, "Always dark"),
]


@lru_cache(maxsize=1)
def sorted_time_zones() -> list[str]:
    return sorted(time_zone_names())


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in time_zone_names()}


def suggest_time_zones(typed: str, limit: int = 3) -> list[str]:
    """Return IANA names close to `typed`: those ending with it, then similar spellings."""
    needle = typed.strip().lower().replace(" ", "_")
    if not needle:
        return []
    ending = [name for name in sorted_time_zones() if name.lower().endswith("/" + needle)]
    similar = difflib.get_close_matches(needle, list(_zones_by_lower_name()), n=limit, cutoff=0.6)
    found = ending + [_zones_by_lower_name()[name] for name in similar]
    return list(dict.fromkeys(found))[:limit]


class TimeZoneField(forms.CharField):
    """A text box with the IANA names as suggestions; cleans to the name's exact spelling."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "list": TIME_ZONE_LIST_ID, "autocomplete": "off", "spellcheck": "false",
        }))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        text = str(super().clean(value))
        exact = _zones_by_lower_name().get(text.strip().lower().replace(" ", "_"))
        if exact is not None:
            return exact
        hints = suggest_time_zones(text)
        hint = f" Did you mean {' or '.join(hints)}?" if hints else ""
        raise ValidationError(
            f"{text[:64]!r} is not an IANA time zone name.{hint} Pick a name from the list, "
            "such as Europe/Zurich or America/Chicago.",
            code="invalid_time_zone",
        )


def _slug_field(**kwargs: Any) -> forms.CharField:
    return forms.CharField(
        max_length=63,
        widget=forms.TextInput(attrs={
            "autocomplete": "off", "spellcheck": "false", "autocapitalize": "none",
            "pattern": "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?",
        }),
        **kwargs,
    )


class NewPageForm(ConsoleForm):
    title = forms.CharField(max_length=200, help_text="The name at the top of the public page.")
    slug = _slug_field(
        required=False,
        help_text=f"The page's address is slug.{settings.HELIOGRAPH_DOMAIN}. Lower-case "
        "letters, digits and hyphens. Leave it empty to make one from the title.",
    )
    time_zone = TimeZoneField(
        initial="UTC",
        help_text="The IANA zone the public page shows times in, such as Europe/Zurich.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("slug") and cleaned.get("title") and "slug" not in self.errors:
            derived = slugify(cleaned["title"])[:63].strip("-")
            if not derived:
                self.add_error("slug", "The title has no letters or digits to make a slug "
                                       "from: type one.")
            cleaned["slug"] = derived
        return cleaned


class PageSettingsForm(ConsoleForm):
    """A form of page settings that checks each one with the domain's rules as it cleans.

    Every wrong field is named in one round, rather than the form's own checks first and the
    domain's on the next submission. Uniqueness (slug, custom domain) is checked on saving.
    """

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.fields:
            if name not in PAGE_FIELDS or name not in cleaned:
                continue
            try:
                cleaned[name] = clean_page_fields({name: cleaned[name]})[name]
            except DomainError as error:
                self.add_error(name, error.message)
        return cleaned


class GeneralForm(PageSettingsForm):
    title = forms.CharField(max_length=200,
                            error_messages={"required": "Give the page a title."})
    default_status_message = forms.CharField(
        label="Default status message", max_length=300,
        help_text="The banner's text while no incident is open.",
    )
    time_zone = TimeZoneField(help_text="Times on the public page are shown in this zone, "
                                        "with the zone named.")
    banner_color_rule = forms.ChoiceField(
        label="Banner colour while incidents are open", choices=BANNER_RULES,
        widget=forms.RadioSelect,
    )
    theme = forms.ChoiceField(label="Theme of the public page", choices=THEMES,
                              widget=forms.RadioSelect)
    language = forms.ChoiceField(label="Language of the public page",
                                 choices=settings.LANGUAGES)
    main_site_url = forms.CharField(
        label="Main site link", required=False, max_length=200,
        widget=forms.URLInput(attrs={"placeholder": "https://www.example.com"}),
        help_text="Shown in the public page's header. Leave empty for none.",
    )
    support_email = forms.CharField(
        label="Support e-mail address", required=False, max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": "support@example.com"}),
        help_text="Leave empty for none.",
    )


class AddressForm(PageSettingsForm):
    slug = _slug_field(help_text="Lower-case letters, digits and hyphens.")
    custom_domain = forms.CharField(
        label="Custom domain", required=False, max_length=253,
        widget=forms.TextInput(attrs={"placeholder": "status.example.com",
                                      "spellcheck": "false", "autocapitalize": "none"}),
        help_text="A host name only, without https:// or a path. Its DNS must point at this "
        "server. Leave empty for none.",
    )
    confirm_slug_change = forms.BooleanField(
        label="I understand that the old address stops working", required=False,
    )

    def __init__(self, *args: Any, page: Page, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page = page

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        slug = (cleaned.get("slug") or "").strip()
        if slug and slug != self.page.slug and not cleaned.get("confirm_slug_change"):
            self.add_error("confirm_slug_change",
                           f"Changing the slug from {self.page.slug!r} to {slug!r} breaks the "
                           "links listed above: tick this box to confirm.")
        return cleaned


class LookForm(PageSettingsForm):
    header_background = forms.CharField(
        label="Header background", max_length=7, widget=forms.TextInput(attrs={"type": "color"}),
    )
    header_text_color = forms.CharField(
        label="Header text", max_length=7, widget=forms.TextInput(attrs={"type": "color"}),
    )


class LogoForm(ConsoleForm):
    logo = forms.FileField(
        label="Logo file",
        widget=forms.FileInput(attrs={
            "accept": ".png,.jpg,.jpeg,.svg,image/png,image/jpeg,image/svg+xml",
        }),
        help_text=f"PNG, JPEG or SVG, up to {logos.MAX_BYTES // 1024} KB and "
        f"{logos.MAX_SIDE} by {logos.MAX_SIDE} pixels. The header shows it 32 pixels high. SVG "
        "files may not contain scripts, links or references to other files.",
    )

    def clean_logo(self) -> logos.CleanLogo:
        try:
            return logos.clean(self.cleaned_data["logo"])
        except logos.LogoError as error:
            raise ValidationError(str(error), code="invalid_logo") from None


class FeaturesForm(PageSettingsForm):
    subscriptions_enabled = forms.BooleanField(
        label="Visitors may subscribe to updates", required=False,
        help_text="Shows the subscribe options on the public page.",
    )
    auto_maintenance = forms.BooleanField(
        label="Start and complete maintenances on schedule", required=False,
        help_text="Maintenances move to in progress at their start and to completed at their "
        "end, unless a maintenance says otherwise. When off, an editor moves each one.",
    )
    is_private = forms.BooleanField(
        label="Private page", required=False,
        help_text="The public page answers “not found” to everyone. Members still see it "
        "here, and the API still serves it to tokens.",
    )


class DeletePageForm(ConsoleForm):
    confirm_slug = forms.CharField(
        label="Type the page's slug to confirm", max_length=63,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "none"}),
    )

    def __init__(self, *args: Any, page: Page, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page = page

    def clean_confirm_slug(self) -> str:
        typed = str(self.cleaned_data["confirm_slug"]).strip()
        if typed != self.page.slug:
            raise ValidationError(f"This does not match the slug: type {self.page.slug} "
                                  "exactly to delete the page.", code="mismatch")
        return typed
