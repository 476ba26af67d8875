"""Sign up, verify the e-mail address, and ask for a new verification link.

The response to a sign-up is the same whether or not the address already has an account.
The address receives either a verification link or a note that the account exists. A second
sign-up for an address still waiting for verification replaces its password and sends a new
link, which voids the earlier ones. The page behind a link requires the password, so a
link delivered to the owner of the address can only confirm the password they chose themselves.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from heliograph.accounts import mail, ratelimit
from heliograph.accounts.forms import EmailForm, SignUpForm, VerifyForm
from heliograph.accounts.models import User
from heliograph.accounts.tokens import MAX_AGE, InvalidLink, read_verification_token
from heliograph.accounts.views.common import (
    BAD_LINK,
    INVALID,
    TOO_MANY,
    after_login_url,
    block_message,
    login_block,
    mail_block,
    main_host_only,
    record_login_failure,
    safe_next,
    with_retry_after,
)

SENT_TO_KEY = "accounts.sent_to"
NEXT_KEY = "accounts.signup_next"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@main_host_only
@sensitive_post_parameters("password", "password_confirm")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:account")

    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = SignUpForm(request.POST or None, initial={"next": next_url or ""})
    status = 200
    block = None
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            block = mail_block(request)
            if block is None:
                ratelimit.record(ratelimit.MAIL_PER_ADDRESS, ratelimit.client_address(request))
                register(form.cleaned_data["email"], form.cleaned_data["password"],
                         next_url or "")
                request.session[SENT_TO_KEY] = form.cleaned_data["email"]
                request.session[NEXT_KEY] = next_url or ""
                return redirect("accounts:signup-sent")
            form.add_error(None, block_message(block))
            status = TOO_MANY

    response = render(request, "accounts/signup.html", {"form": form, "next": next_url},
                      status=status)
    return with_retry_after(response, block)


def register(email: str, password: str, next_path: str = "") -> None:
    """Create or refresh the sign-up of `email` and send the e-mail that fits the account."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email=email).first()
        created = False
        if user is None:
            user, created = create_pending_user(email, password)

        if created:
            send = mail.send_verification
        elif user.awaits_verification:
            user.set_password(password)
            user.save(update_fields=["password"])
            send = mail.send_verification
        else:
            # Hash anyway, so that this branch takes as long as the two others.
            make_password(password)
            send = mail.send_account_exists
    send(user, next_path)


def create_pending_user(email: str, password: str) -> tuple[User, bool]:
    """Create an inactive user; return it and True, or the concurrent sign-up's user and False."""
    try:
        with transaction.atomic():
            return User.objects.create_user(email, password, is_active=False), True
    except IntegrityError:
        return User.objects.select_for_update().get(email=email), False


@main_host_only
@never_cache
def signup_sent_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html", {
        "email": request.session.get(SENT_TO_KEY, ""),
        "valid_days": MAX_AGE.days,
    })


@main_host_only
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        verification = read_verification_token(token)
    except InvalidLink as problem:
        return render(request, "accounts/verify_invalid.html", {
            "expired": problem.expired, "valid_days": MAX_AGE.days,
        }, status=BAD_LINK)

    user = verification.user
    form = VerifyForm(request.POST or None)
    status = 200
    block = None
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            block = login_block(request, user.email)
            if block is not None:
                form.add_error(None, block_message(block))
                status = TOO_MANY
            elif not user.check_password(form.cleaned_data["password"]):
                record_login_failure(request, user.email)
                form.add_error("password", "This is not the password chosen at sign-up. If "
                                           "you signed up more than once, use the link in the "
                                           "latest e-mail, or sign up again.")
            elif activate(user):
                login(request, user, backend=MODEL_BACKEND)
                messages.success(request, "Your e-mail address is verified. Welcome to "
                                          "Heliograph.")
                return redirect(after_login_url(safe_next(request, verification.next_path)))
            else:
                return render(request, "accounts/verify_invalid.html", {
                    "expired": False, "valid_days": MAX_AGE.days,
                }, status=BAD_LINK)

    response = render(request, "accounts/verify.html", {"form": form, "email": user.email},
                      status=status)
    return with_retry_after(response, block)


def activate(user: User) -> bool:
    """Mark the address verified and the account active; False if another request did."""
    now = timezone.now()
    updated = User.objects.filter(
        pk=user.pk, is_active=False, email_verified_at__isnull=True, password=user.password
    ).update(is_active=True, email_verified_at=now)
    if updated:
        user.is_active = True
        user.email_verified_at = now
    return updated == 1


@main_host_only
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def resend_view(request: HttpRequest) -> HttpResponse:
    """Send a new link if the address awaits verification, with the same response either way."""
    form = EmailForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    status = 200
    block = None
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            block = mail_block(request)
            if block is None:
                ratelimit.record(ratelimit.MAIL_PER_ADDRESS, ratelimit.client_address(request))
                email = form.cleaned_data["email"]
                user = User.objects.filter(email=email).first()
                if user is not None and user.awaits_verification:
                    next_url = safe_next(request, request.session.get(NEXT_KEY))
                    mail.send_verification(user, next_url or "")
                request.session[SENT_TO_KEY] = email
                return redirect("accounts:verify-resend-sent")
            form.add_error(None, block_message(block))
            status = TOO_MANY

    response = render(request, "accounts/resend.html", {"form": form}, status=status)
    return with_retry_after(response, block)


@main_host_only
@never_cache
def resend_sent_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/resend_sent.html", {
        "email": request.session.get(SENT_TO_KEY, ""),
        "valid_days": MAX_AGE.days,
    })
