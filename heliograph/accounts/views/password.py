"""Password change (signed in) and password reset by e-mail, on Django's views and tokens.

The response to a reset request is the same whether or not the address has an account.
Django's form sends the link only to active users with a usable password.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy

from heliograph.accounts import ratelimit
from heliograph.accounts.forms import PasswordResetForm, SetPasswordForm
from heliograph.accounts.views.common import (
    INVALID,
    TOO_MANY,
    block_message,
    current_user,
    login_block,
    mail_block,
    main_host_only,
    record_login_failure,
    signed_in,
    with_retry_after,
)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view, with the old password counted against the login limits."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        block = login_block(request, current_user(request).email)
        if block is None:
            return super().post(request, *args, **kwargs)
        # The form holds only password fields, which are never sent back, so an unbound
        # form loses nothing that the page would have shown.
        context = self.get_context_data(form=PasswordChangeForm(user=request.user),
                                        limit_error=block_message(block))
        return with_retry_after(self.render_to_response(context, status=TOO_MANY), block)

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed. Other sessions of your "
                                       "account are logged out.")
        return response

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        if form.has_error("old_password", "password_incorrect"):
            record_login_failure(self.request, current_user(self.request).email)
        return self.render_to_response(self.get_context_data(form=form), status=INVALID)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password-reset-sent")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        block = mail_block(self.request)
        if block is not None:
            form.add_error(None, block_message(block))
            response = self.render_to_response(self.get_context_data(form=form),
                                               status=TOO_MANY)
            return with_retry_after(response, block)
        address = ratelimit.client_address(self.request)
        ratelimit.record(ratelimit.MAIL_PER_ADDRESS, address)
        self.request.session["accounts.sent_to"] = form.cleaned_data["email"]
        return super().form_valid(form)

    def form_invalid(self, form: PasswordResetForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=INVALID)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["email"] = self.request.session.get("accounts.sent_to", "")
        context["password_reset_days"] = settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)
        return context


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view; a new password also lifts the per-account login limit."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        ratelimit.clear(ratelimit.LOGIN_PER_ACCOUNT, form.user.email)
        return response

    def form_invalid(self, form: SetPasswordForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=INVALID)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


password_change = signed_in(PasswordChangeView.as_view())
password_reset = main_host_only(PasswordResetView.as_view())
password_reset_sent = main_host_only(PasswordResetSentView.as_view())
password_reset_confirm = main_host_only(PasswordResetConfirmView.as_view())
password_reset_complete = main_host_only(PasswordResetCompleteView.as_view())
