"""The signed-in user's API tokens: create, list and revoke.

A new token's value is shown once, on a page reached by redirect, and is kept in the session
only until that page is shown. The database stores its SHA-256 digest and its first
characters (the hint).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heliograph.api.models import ApiToken
from heliograph.console import once
from heliograph.console.access import actor_of, console_view
from heliograph.console.signed_in import user_of
from heliograph.console.token_forms import TokenForm
from heliograph.domain import audit
from heliograph.domain.audit import Actor

_SESSION_KEY = "console.new_token"


@require_http_methods(["GET", "POST"])
@console_view
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, TokenForm(user=request.user))
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render(request, form, status=422)

    def create() -> str:
        token, raw = ApiToken.issue(
            user_of(request), list(form.cleaned_data["pages"]),
            can_write=form.cleaned_data["access"] == "write", name=form.cleaned_data["name"],
        )
        _record(token, actor_of(request), "token.create", after=_describe(token))
        request.session[_SESSION_KEY] = {"id": token.pk, "raw": raw}
        return reverse("console:token-created", args=[token.pk])

    try:
        return once.run_once(request, create)
    except once.MissingToken as error:
        form.add_error(None, str(error))
        return _render(request, form, status=422)


def _render(request: HttpRequest, form: TokenForm, *, status: int = 200) -> HttpResponse:
    # A value never shown (the user left before the redirect finished) is not kept any longer.
    # NOTE: until then it sits in the session store (the database by default) in clear text.
    request.session.pop(_SESSION_KEY, None)
    rows = (
        ApiToken.objects.filter(user=user_of(request)).prefetch_related("pages")
        .order_by("revoked_at", "-created_at")
    )
    return render(request, "console/tokens.html", {
        "form": form,
        "tokens": rows,
        "has_pages": bool(form.fields["pages"].queryset.exists()),  # type: ignore[attr-defined]
        "form_token": once.token_for(request),
        "form_token_field": once.FIELD,
    }, status=status)


@require_GET
@console_view
def token_created(request: HttpRequest, token_id: int) -> HttpResponse:
    """Show a new token's value, the one time it is shown."""
    token = get_object_or_404(ApiToken, pk=token_id, user=user_of(request))
    shown = request.session.get(_SESSION_KEY)
    raw = ""
    if isinstance(shown, dict) and shown.get("id") == token.pk:
        raw = str(shown.get("raw", ""))
        del request.session[_SESSION_KEY]
    response = render(request, "console/token_created.html", {"token": token, "raw": raw})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@console_view
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=user_of(request))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            messages.info(request, f"The token {locked.hint}… was already revoked.")
            return HttpResponseRedirect(reverse("console:tokens"))
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        _record(locked, actor_of(request), "token.revoke", before=_describe(locked))
    messages.success(request, f"Revoked the token {locked.hint}… ({locked.name}): requests "
                              "with it are now rejected.")
    return HttpResponseRedirect(reverse("console:tokens"))


def _describe(token: ApiToken) -> dict[str, Any]:
    return {"name": token.name, "hint": token.hint, "can_write": token.can_write}


def _record(token: ApiToken, actor: Actor, action: str, *,
            before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Record a token change in the audit log of each page the token reaches."""
    for page in token.pages.all():
        audit.record(page, actor, action, token, before=before, after=after)
