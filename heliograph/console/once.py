"""Make a resent console form take effect once: a double click posts one event, not two.

Each rendered form carries a random one-time token in the hidden field `FIELD`. An accepted
submission stores the token with a digest of the submitted fields, in the same transaction as
the change it makes. The same POST sent again (a double click, a browser's resend) finds that
row, or hits its unique constraint while the first is still being saved. It is then
redirected to where the first one led instead of being applied again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from heliograph.console.models import FormSubmission

logger = logging.getLogger(__name__)

FIELD = "form_token"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# How long a used token is remembered; a resend comes within seconds, a Back-and-resubmit
# within hours.
KEEP = dt.timedelta(days=2)
REPEAT_MESSAGE = "This form had already been submitted: it was not applied a second time."
# Left out of the digest because it differs between tabs of the same form.
_IGNORED = {"csrfmiddlewaretoken"}


class MissingToken(ValueError):
    """A POST without a well-formed one-time token, e.g. from a form saved before it had one."""

    def __init__(self) -> None:
        super().__init__(
            "This form has no valid one-time token, so it was not saved. Check the fields "
            "below and submit it again."
        )


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_for(request: HttpRequest) -> str:
    """Return the token to render into a form: the posted one when re-rendering it, else new.

    A form shown again with errors keeps its token, which is still unused, so the corrected
    submission is accepted.
    """
    posted = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return posted if _TOKEN.fullmatch(posted) else new_token()


def digest_of(request: HttpRequest) -> str:
    fields = sorted(
        (name, value)
        for name in request.POST
        if name not in _IGNORED
        for value in request.POST.getlist(name)
    )
    payload = json.dumps([request.path, fields], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def run_once(request: HttpRequest, action: Callable[[], str]) -> HttpResponse:
    """Apply `action` once for this POST and redirect to the URL it returns.

    `action` runs inside the transaction that records the submission, so a `DomainError` it
    raises leaves neither the change nor the record, and the token stays usable. A repeat of
    an accepted POST redirects to the first one's result with a message.
    """
    token = request.POST.get(FIELD, "")
    if not _TOKEN.fullmatch(token):
        raise MissingToken
    digest = digest_of(request)
    earlier = _earlier(request, token, digest)
    if earlier is not None:
        return _repeat(request, earlier)

    with transaction.atomic():
        try:
            with transaction.atomic():
                record = FormSubmission.objects.create(
                    user_id=_user_id(request), token=token, digest=digest
                )
        except IntegrityError:
            record = None
        if record is not None:
            result_url = action()
            record.result_url = result_url[:500]
            record.save(update_fields=["result_url"])
    if record is None:
        # A copy of this POST was being saved at the same time and has now committed.
        return _repeat(request, _earlier(request, token, digest))
    _forget_old()
    return HttpResponseRedirect(result_url)


def _user_id(request: HttpRequest) -> int:
    """Return the signed-in user's id; `console_view` lets no anonymous request through."""
    user_id = request.user.pk
    assert isinstance(user_id, int)
    return user_id


def _earlier(request: HttpRequest, token: str, digest: str) -> FormSubmission | None:
    return FormSubmission.objects.filter(
        token=token, digest=digest, user_id=_user_id(request)
    ).first()


def _repeat(request: HttpRequest, earlier: FormSubmission | None) -> HttpResponse:
    logger.info("repeated console form %s ignored for user %s", request.path, request.user.pk)
    messages.info(request, REPEAT_MESSAGE)
    target = earlier.result_url if earlier is not None and earlier.result_url else request.path
    return HttpResponseRedirect(target)


def _forget_old() -> None:
    FormSubmission.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
