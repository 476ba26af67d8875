"""A page's webhook subscribers: list them with any disabled reason, add and remove them.

Every member can read the list. Owners and editors add and remove subscribers. A new
subscriber's signing secret is shown once, on the redirect after adding it, and is kept in the
session only until that page is shown.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from heliograph.console.access import actor_of, can, console_view, member_page
from heliograph.console.form_common import ConsoleForm, services_field
from heliograph.domain.errors import DomainError
from heliograph.domain.models import Page, Role
from heliograph.notifications import webhooks
from heliograph.notifications.models import WebhookFlavour, WebhookSubscriber

_SESSION_KEY = "console.new_webhook"


class WebhookForm(ConsoleForm):
    url = forms.CharField(
        label="URL", max_length=2000,
        help_text="The https:// address that receives a POST for each notice.",
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/status"}),
    )
    flavour = forms.ChoiceField(label="Format", choices=WebhookFlavour.choices,
                                initial=WebhookFlavour.JSON, widget=forms.RadioSelect)

    def __init__(self, *args: Any, page: Page, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"] = services_field(
            page, label="Services", help_text="Leave all unticked to hear about every service.")


@require_http_methods(["GET", "POST"])
@console_view
def webhook_list(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug)
    if request.method != "POST":
        return _render(request, page, role, WebhookForm(page=page))
    page, role = member_page(request, slug, need=Role.EDITOR)
    form = WebhookForm(request.POST, page=page)
    if not form.is_valid():
        return _render(request, page, role, form, status=422)
    try:
        hook = webhooks.add_webhook(
            page, url=form.cleaned_data["url"], flavour=form.cleaned_data["flavour"],
            services=list(form.cleaned_data["services"]) or None, actor=actor_of(request),
        )
    except DomainError as error:
        form.show_error(error)
        return _render(request, page, role, form, status=422)
    request.session[_SESSION_KEY] = {"id": hook.pk, "secret": hook.secret}
    messages.success(request, f"Webhook {hook.url} added.")
    return HttpResponseRedirect(reverse("console:webhooks", args=[page.slug]))


@require_POST
@console_view
def webhook_remove(request: HttpRequest, slug: str, webhook_id: int) -> HttpResponse:
    page, _role = member_page(request, slug, need=Role.EDITOR)
    hook = get_object_or_404(WebhookSubscriber, pk=webhook_id, page=page)
    webhooks.remove_webhook(hook, actor=actor_of(request))
    messages.success(request, f"Webhook {hook.url} removed.")
    return HttpResponseRedirect(reverse("console:webhooks", args=[page.slug]))


def _render(request: HttpRequest, page: Page, role: Role, form: WebhookForm, *,
            status: int = 200) -> HttpResponse:
    shown = request.session.pop(_SESSION_KEY, None)
    hooks = list(WebhookSubscriber.objects.filter(page=page).prefetch_related("services"))
    new_secret = None
    if isinstance(shown, dict) and any(hook.pk == shown.get("id") for hook in hooks):
        new_secret = {"id": shown["id"], "secret": shown.get("secret", "")}
    return render(request, "console/webhooks.html", {
        "page": page,
        "role": role,
        "section": "deliveries",
        "form": form,
        "hooks": hooks,
        "new_secret": new_secret,
        "can_edit": can(role, Role.EDITOR),
    }, status=status)
