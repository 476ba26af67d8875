"""The signed-in user of a console request, typed as such."""

from __future__ import annotations

from django.http import HttpRequest

from heliograph.accounts.models import User


def user_of(request: HttpRequest) -> User:
    """Return the request's user; `console_view` has already sent anonymous users to log in."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("user_of() needs a signed-in user: wrap the view in console_view.")
    return user
