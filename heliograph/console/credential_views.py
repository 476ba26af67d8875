"""The signed-in user's Runstatus credentials: create, list and revoke (with confirmation).

A new pair's secret is shown once, on a page reached by redirect. Until that page is shown,
the session holds the secret sealed under SECRET_KEY, as the database does.

The module ends with its URL patterns, which `urls_account` includes under
`runstatus-credentials/`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from heliograph.accounts.sealing import UnsealError, seal, unseal
from heliograph.console import once
from heliograph.console.access import actor_of, console_view
from heliograph.console.form_common import ConsoleForm, clean_label
from heliograph.console.signed_in import user_of
from heliograph.domain import audit
from heliograph.domain.audit import Actor
from heliograph.domain.models import Membership, Page
from heliograph.runstatus.access import WRITERS, managed_pages
from heliograph.runstatus.models import Credential
from heliograph.runstatus.wire import endpoint_url

_SESSION_KEY = "console.new_runstatus_secret"
SCOPE_CHOICES = [
    ("all", "All pages where you are an editor or owner, now and later, and the pages it "
            "creates"),
    ("some", "Only the pages chosen below"),
]


class PageChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Page) -> str:
        return f"{obj.title} ({obj.slug})"


class CredentialForm(ConsoleForm):
    name = forms.CharField(
        max_length=100,
        help_text="Where the key is used, such as “alerting host”, so you can tell keys apart.",
    )
    scope = forms.ChoiceField(label="Pages", choices=SCOPE_CHOICES, initial="all",
                              widget=forms.RadioSelect)

    def clean_name(self) -> str:
        return clean_label(self.cleaned_data["name"])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        writable = Membership.objects.filter(user=user, role__in=WRITERS).values("page_id")
        self.fields["pages"] = PageChoiceField(
            label="Chosen pages",
            queryset=Page.objects.filter(pk__in=writable).order_by("title", "slug"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text="Used only with “Only the pages chosen below”. Pages where you are a "
                      "viewer are not offered: Runstatus keys change pages.",
            error_messages={
                "invalid_choice": "You are not an editor or owner of page %(value)s: reload "
                "the form and choose again.",
            },
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("scope") == "some" and not cleaned.get("pages"):
            self.add_error("pages", "Choose at least one page, or allow all your pages.")
        return cleaned

    def chosen_pages(self) -> list[Page] | None:
        """Return the pages the new key is restricted to, or None for all the user's pages."""
        if self.cleaned_data["scope"] == "all":
            return None
        return list(self.cleaned_data["pages"])


@require_http_methods(["GET", "POST"])
@console_view
def credentials(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, CredentialForm(user=request.user))
    form = CredentialForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render(request, form, status=422)

    def create() -> str:
        credential, secret = Credential.issue(user_of(request), form.chosen_pages(),
                                              name=form.cleaned_data["name"])
        _record(credential, actor_of(request), "runstatus_key.create", after=_describe(credential))
        request.session[_SESSION_KEY] = {"id": credential.pk, "sealed": seal(secret)}
        return reverse("console:credential-created", args=[credential.pk])

    try:
        return once.run_once(request, create)
    except once.MissingToken as error:
        form.add_error(None, str(error))
        return _render(request, form, status=422)


def _render(request: HttpRequest, form: CredentialForm, *, status: int = 200) -> HttpResponse:
    # A secret never shown (the user left before the redirect finished) is not kept longer.
    request.session.pop(_SESSION_KEY, None)
    rows = (
        Credential.objects.filter(user=user_of(request)).prefetch_related("pages")
        .order_by("revoked_at", "-created_at")
    )
    return render(request, "console/credentials.html", {
        "form": form,
        "credentials": rows,
        "endpoint": endpoint_url(),
        "form_token": once.token_for(request),
        "form_token_field": once.FIELD,
    }, status=status)


@require_GET
@console_view
def credential_created(request: HttpRequest, credential_id: int) -> HttpResponse:
    """Show a new pair's secret, the one time it is shown."""
    credential = get_object_or_404(Credential, pk=credential_id, user=user_of(request))
    shown = request.session.get(_SESSION_KEY)
    secret = ""
    if isinstance(shown, dict) and shown.get("id") == credential.pk:
        del request.session[_SESSION_KEY]
        try:
            secret = unseal(str(shown.get("sealed", "")))
        except UnsealError:
            secret = ""
    response = render(request, "console/credential_created.html", {
        "credential": credential,
        "secret": secret,
        "endpoint": endpoint_url(),
    })
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@console_view
def revoke_credential(request: HttpRequest, credential_id: int) -> HttpResponse:
    """Ask to confirm on GET; revoke on POST."""
    credential = get_object_or_404(Credential, pk=credential_id, user=user_of(request))
    if request.method != "POST":
        return render(request, "console/credential_revoke.html", {"credential": credential})

    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        if locked.revoked_at is not None:
            messages.info(request, f"The key {locked.key} was already revoked.")
            return HttpResponseRedirect(reverse("console:credentials"))
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        _record(locked, actor_of(request), "runstatus_key.revoke", before=_describe(locked))
    messages.success(request, f"Revoked the key {locked.key} ({locked.name}): requests signed "
                              "with it are now rejected.")
    return HttpResponseRedirect(reverse("console:credentials"))


def _describe(credential: Credential) -> dict[str, Any]:
    return {"name": credential.name, "key": credential.key, "all_pages": credential.all_pages}


def _record(credential: Credential, actor: Actor, action: str, *,
            before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Record a change of the pair in the audit log of each page it manages."""
    for page in managed_pages(credential):
        audit.record(page, actor, action, credential, before=before, after=after)


urlpatterns = [
    path("", credentials, name="credentials"),
    path("<int:credential_id>/created/", credential_created, name="credential-created"),
    path("<int:credential_id>/revoke/", revoke_credential, name="credential-revoke"),
]
