"""Turn the TOTP second factor on and off, and replace the recovery codes.

New recovery codes are shown once, in the response to the POST that made them, and are not
stored anywhere in readable form. That response forbids caching.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from heliograph.accounts import ratelimit, two_factor
from heliograph.accounts.forms import EnableTwoFactorForm, ReauthenticateForm
from heliograph.accounts.models import User
from heliograph.accounts.views.common import (
    INVALID,
    TOO_MANY,
    block_message,
    current_user,
    login_block,
    record_login_failure,
    signed_in,
    with_retry_after,
)


@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def enable_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if two_factor.confirmed_device(user) is not None:
        messages.info(request, "Two-factor authentication is already on.")
        return redirect("accounts:account")

    device = two_factor.start_setup(user)
    form = EnableTwoFactorForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            codes = two_factor.confirm_setup(device, form.cleaned_data["code"])
            if codes is not None:
                messages.success(request, "Two-factor authentication is on. From now on, "
                                          "logging in asks for a code from your app.")
                return recovery_codes_response(request, codes)
            form.add_error("code", "This code does not match. Enter the 6 digits the app "
                                   "shows now; if it keeps failing, check that the phone's "
                                   "clock is set automatically.")

    secret = two_factor.secret_of(device)
    return render(request, "accounts/two_factor_enable.html", {
        "form": form,
        "secret": two_factor.format_secret(secret),
        # segno's SVG contains path data and a fixed title: the URI, with the user's
        # address, is encoded into the modules and never appears as text.
        "qr_svg": mark_safe(two_factor.qr_svg(two_factor.provisioning_uri(device))),  # noqa: S308
    }, status=status)


def recovery_codes_response(request: HttpRequest, codes: list[str]) -> HttpResponse:
    response = render(request, "accounts/two_factor_codes.html", {"codes": codes})
    add_never_cache_headers(response)
    return response


@dataclass
class Reauthentication:
    """The password-or-code form of a sensitive action, checked under the login limits."""

    form: ReauthenticateForm
    passed: bool = False
    status: int = 200
    block: ratelimit.Block | None = None


def reauthenticate(request: HttpRequest, user: User) -> Reauthentication:
    if request.method != "POST":
        return Reauthentication(ReauthenticateForm(user))
    block = login_block(request, user.email)
    if block is not None:
        # Password and code fields are never sent back, so the unbound form loses nothing.
        form = ReauthenticateForm(user)
        form.limit_error = block_message(block)
        return Reauthentication(form, status=TOO_MANY, block=block)
    form = ReauthenticateForm(user, request.POST)
    if form.is_valid():
        return Reauthentication(form, passed=True)
    if form.credentials_rejected:
        record_login_failure(request, user.email)
    return Reauthentication(form, status=INVALID)


@signed_in
@sensitive_post_parameters("password", "code")
@never_cache
@require_http_methods(["GET", "POST"])
def disable_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if two_factor.confirmed_device(user) is None:
        messages.info(request, "Two-factor authentication is already off.")
        return redirect("accounts:account")

    check = reauthenticate(request, user)
    if check.passed:
        two_factor.disable(user)
        messages.success(request, "Two-factor authentication is off, and your recovery codes "
                                  "no longer work.")
        return redirect("accounts:account")
    response = render(request, "accounts/two_factor_disable.html", {"form": check.form},
                      status=check.status)
    return with_retry_after(response, check.block)


@signed_in
@sensitive_post_parameters("password", "code")
@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if two_factor.confirmed_device(user) is None:
        messages.info(request, "Recovery codes come with two-factor authentication: turn it "
                               "on first.")
        return redirect("accounts:account")

    check = reauthenticate(request, user)
    if check.passed:
        codes = two_factor.issue_recovery_codes(user)
        messages.success(request, "New recovery codes are ready; the old ones no longer work.")
        return recovery_codes_response(request, codes)
    response = render(request, "accounts/two_factor_recovery.html", {
        "form": check.form, "unused": two_factor.unused_recovery_codes(user),
    }, status=check.status)
    return with_retry_after(response, check.block)
