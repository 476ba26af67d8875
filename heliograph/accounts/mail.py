"""E-mails of the account flows, with links built from HELIOGRAPH_BASE_URL.

Links never use the request's Host header, so a forged header cannot point a reset link at
another site. Each recipient gets at most `MAIL_PER_RECIPIENT` of these e-mails per window,
so a form cannot be used to flood someone's inbox. The form's response stays the same.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from heliograph.accounts import ratelimit
from heliograph.accounts.models import User
from heliograph.accounts.tokens import MAX_AGE, make_verification_token

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    return settings.HELIOGRAPH_BASE_URL.rstrip("/") + path


def send_account_mail(kind: str, user: User, context: dict[str, Any]) -> bool:
    """Render `accounts/email/<kind>_subject.txt` and `<kind>.txt` and send them to `user`.

    Return whether the message went out. A reached recipient limit or an SMTP failure is
    logged and returns False, because the form's response must not depend on it.
    """
    if ratelimit.blocked(ratelimit.MAIL_PER_RECIPIENT, user.email):
        logger.warning("Not sending %s e-mail to user %s: recipient limit reached", kind, user.pk)
        return False
    ratelimit.record(ratelimit.MAIL_PER_RECIPIENT, user.email)

    context = {"user": user, "base_url": settings.HELIOGRAPH_BASE_URL, **context}
    subject = " ".join(render_to_string(f"accounts/email/{kind}_subject.txt", context).split())
    body = render_to_string(f"accounts/email/{kind}.txt", context)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        logger.error("Sending %s e-mail to user %s failed: %s", kind, user.pk, error)
        return False
    except Exception:
        # A misconfigured e-mail backend must not turn the form into a server error either.
        logger.exception("Sending %s e-mail to user %s failed", kind, user.pk)
        return False
    logger.info("Sent %s e-mail to user %s", kind, user.pk)
    return True


def send_verification(user: User, next_path: str = "") -> bool:
    token = make_verification_token(user, next_path)
    link = absolute_url(reverse("accounts:verify", args=[token]))
    return send_account_mail("verify", user, {"link": link, "valid_days": MAX_AGE.days})


def send_account_exists(user: User, next_path: str = "") -> bool:
    """Tell the owner of an address that someone tried to sign up with it again."""
    login_path = reverse("accounts:login")
    if next_path:
        login_path += "?" + urlencode({"next": next_path})
    return send_account_mail("account_exists", user, {
        "login_link": absolute_url(login_path),
        "reset_link": absolute_url(reverse("accounts:password-reset")),
    })
