"""Log in (password, then a TOTP code when the user turned it on) and log out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from heliograph.accounts import ratelimit, two_factor
from heliograph.accounts.forms import LoginCodeForm, LoginForm
from heliograph.accounts.models import User
from heliograph.accounts.views.common import (
    INVALID,
    TOO_MANY,
    after_login_url,
    block_message,
    login_block,
    main_host_only,
    record_login_failure,
    safe_next,
    with_retry_after,
)

PENDING_KEY = "accounts.pending_login"
# How long the code step waits after a correct password before asking for it again.
PENDING_SECONDS = 5 * 60
INVALID_CREDENTIALS = ("The e-mail address or the password is incorrect. Check both fields; "
                       "passwords are case-sensitive.")


@dataclass(frozen=True)
class PasswordOutcome:
    """The result of the password step: a user, or an error to show and its status."""

    user: User | None = None
    error: str = ""
    status: int = INVALID
    block: ratelimit.Block | None = None


@main_host_only
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(after_login_url(next_url))

    form = LoginForm(request.POST or None, initial={"next": next_url or ""})
    status = 200
    block = None
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            outcome = check_password_step(request, form.cleaned_data["email"],
                                          form.cleaned_data["password"])
            if outcome.user is not None:
                return finish_password_step(request, outcome.user, next_url)
            form.add_error(None, outcome.error)
            status, block = outcome.status, outcome.block

    response = render(request, "accounts/login.html", {"form": form, "next": next_url},
                      status=status)
    return with_retry_after(response, block)


def check_password_step(request: HttpRequest, email: str, password: str) -> PasswordOutcome:
    """Check the password under the login limits; return the user, or why they cannot log in.

    Each branch checks one password hash, as `authenticate` does for an unknown address, so
    the response time does not tell whether an account exists.
    """
    block = login_block(request, email)
    if block is not None:
        return PasswordOutcome(error=block_message(block), status=TOO_MANY, block=block)

    inactive = User.objects.filter(email=email, is_active=False).first()
    if inactive is not None:
        if inactive.check_password(password):
            return PasswordOutcome(error=inactive_message(inactive))
        record_login_failure(request, email)
        return PasswordOutcome(error=INVALID_CREDENTIALS)

    user = authenticate(request, email=email, password=password)
    if not isinstance(user, User):
        record_login_failure(request, email)
        return PasswordOutcome(error=INVALID_CREDENTIALS)
    return PasswordOutcome(user=user)


def inactive_message(user: User) -> str:
    if user.awaits_verification:
        resend = reverse("accounts:verify-resend") + "?" + urlencode({"email": user.email})
        return format_html(
            'Your e-mail address is not verified yet. Follow the link in the e-mail we sent '
            'you, or <a href="{}">send a new link</a>.', resend,
        )
    return "This account is disabled. Ask the operator of this Heliograph installation."


def finish_password_step(request: HttpRequest, user: User, next_url: str | None) -> HttpResponse:
    """Log the user in, or, with a second factor, remember them and ask for a code."""
    if two_factor.confirmed_device(user) is None:
        complete_login(request, user, backend=getattr(user, "backend", None))
        return redirect(after_login_url(next_url))

    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "auth_hash": user.get_session_auth_hash(),
        "backend": getattr(user, "backend", None),
        "started": time.time(),
        "next": next_url or "",
    }
    return redirect("accounts:login-code")


def complete_login(request: HttpRequest, user: User, backend: str | None) -> None:
    login(request, user, backend=backend)
    ratelimit.clear(ratelimit.LOGIN_PER_ACCOUNT, user.email)


def pending_login(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """Return the user who passed the password step in this session, while it is recent."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("started", 0)) > PENDING_SECONDS:
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    # A password changed since the first step ends the pending login.
    if user is None or user.get_session_auth_hash() != pending.get("auth_hash"):
        return None
    return user, pending


@main_host_only
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    found = pending_login(request)
    if found is None:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, "Your log-in has expired. Enter your e-mail address and "
                                "password again.")
        return redirect("accounts:login")
    user, pending = found

    form = LoginCodeForm(request.POST or None)
    status = 200
    block = None
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            block = login_block(request, user.email)
            if block is not None:
                form.add_error(None, block_message(block))
                status = TOO_MANY
            else:
                check = two_factor.check_code(user, form.cleaned_data["code"])
                if check.accepted:
                    return finish_code_step(request, user, pending, check)
                record_login_failure(request, user.email)
                form.add_error("code", "This code is incorrect or was already used. Enter the "
                                       "code your app shows now, or an unused recovery code.")

    response = render(request, "accounts/login_code.html", {"form": form}, status=status)
    return with_retry_after(response, block)


def finish_code_step(request: HttpRequest, user: User, pending: dict[str, Any],
                     check: two_factor.Check) -> HttpResponse:
    del request.session[PENDING_KEY]
    complete_login(request, user, backend=pending.get("backend"))
    if check.recovery:
        left = two_factor.unused_recovery_codes(user)
        messages.warning(request, f"You used a recovery code; {left} of them are left. Each "
                                  "works once: create new ones on your account page if few are "
                                  "left.")
    return redirect(after_login_url(safe_next(request, pending.get("next"))))


@main_host_only
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """Ask to confirm on GET, so that a link or a prefetch cannot log anyone out."""
    if request.method == "POST":
        logout(request)
        messages.success(request, "You are logged out.")
        return redirect(settings.LOGOUT_REDIRECT_URL)
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return render(request, "accounts/logout.html")
