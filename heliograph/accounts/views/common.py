"""Guards and helpers shared by the account views."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.http import url_has_allowed_host_and_scheme

from heliograph.accounts import ratelimit
from heliograph.accounts.models import User
from heliograph.public.routing import HostKind, host_match

View = Callable[..., HttpResponseBase]

# Status of a form submission that failed validation (the page shows the form again), as
# in the console's other forms.
INVALID = 422
# Status of a verification link that is expired, tampered with or already used.
BAD_LINK = 400
TOO_MANY = 429


def main_host_only(view: View) -> View:
    """Raise Http404 on a page's host, because accounts live on the main host only."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if host_match(request).kind != HostKind.MAIN:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def signed_in(view: View) -> View:
    """Serve `view` on the main host to signed-in users; send others to the login form."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return main_host_only(wrapper)


def current_user(request: HttpRequest) -> User:
    """Return the signed-in user of a view guarded by `signed_in`."""
    user = request.user
    assert isinstance(user, User)
    return user


def safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    """Return `candidate` if it is a path or URL on this host, else None."""
    if not candidate:
        return None
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else None


def after_login_url(next_url: str | None) -> str:
    return next_url or settings.LOGIN_REDIRECT_URL


def login_block(request: HttpRequest, email: str) -> ratelimit.Block | None:
    """Return the login limit that `email` or the client's address has reached, if any."""
    return ratelimit.latest(
        ratelimit.blocked(ratelimit.LOGIN_PER_ACCOUNT, email),
        ratelimit.blocked(ratelimit.LOGIN_PER_ADDRESS, ratelimit.client_address(request)),
    )


def record_login_failure(request: HttpRequest, email: str) -> None:
    ratelimit.record(ratelimit.LOGIN_PER_ACCOUNT, email)
    ratelimit.record(ratelimit.LOGIN_PER_ADDRESS, ratelimit.client_address(request))


def mail_block(request: HttpRequest) -> ratelimit.Block | None:
    return ratelimit.blocked(ratelimit.MAIL_PER_ADDRESS, ratelimit.client_address(request))


def block_message(block: ratelimit.Block) -> str:
    """Say which limit was reached and when the user may try again, in minutes and UTC."""
    seconds = block.seconds_left()
    minutes = max(1, -(-seconds // 60))
    until = dt.datetime.fromtimestamp(block.until, tz=dt.UTC).strftime("%H:%M")
    wait = f"Try again in {minutes} minute{'s' if minutes != 1 else ''}, after {until} UTC."
    limit = block.limit
    if limit == ratelimit.LOGIN_PER_ACCOUNT:
        reason = "Too many failed log-in attempts for this account."
    elif limit == ratelimit.LOGIN_PER_ADDRESS:
        reason = "Too many failed log-in attempts from your network."
    else:
        reason = "Too many e-mails were requested from your network."
    return f"{reason} {wait}"


def with_retry_after(response: HttpResponse, block: ratelimit.Block | None) -> HttpResponse:
    if block is not None:
        response["Retry-After"] = str(block.seconds_left())
    return response
