"""The account page: the address, its verification, and links to each account setting."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from heliograph.accounts import two_factor
from heliograph.accounts.views.common import current_user, signed_in


@signed_in
@never_cache
def account_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    device = two_factor.confirmed_device(user)
    return render(request, "accounts/account.html", {
        "account": user,
        "two_factor_on": device is not None,
        "two_factor_since": device.confirmed_at if device else None,
        "unused_codes": two_factor.unused_recovery_codes(user) if device else 0,
    })
