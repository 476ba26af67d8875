"""Check the Exoscale HMAC signature of a Runstatus API request.

A client sends

    Exoscale-Date: 2017-02-02T15:18:46Z          (or local time: 2017-02-02T16:18:46+0100)
    Authorization: Exoscale-HMAC-SHA256 <key>:<hex>

where `<hex>` is the lowercase hex HMAC-SHA256, keyed with the credential's secret, of the full
request URL (scheme, host, path and query), immediately followed by the date string as sent and
then the raw body. This is what `requests-exoscale-auth` 1.x (`ExoscaleAuth`) signs, using the
URL that `requests` prepared.

Which URL a client signed depends on the address it was given, and behind a reverse proxy the
request may arrive with another host and scheme. So the server accepts a signature over the
request as it arrived (`request.build_absolute_uri()`) or over the same path and query on the
scheme and host of HELIOGRAPH_BASE_URL. Both candidates are always compared.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from heliograph.accounts.sealing import UnsealError
from heliograph.runstatus.errors import forbidden
from heliograph.runstatus.models import Credential, SeenSignature

logger = logging.getLogger(__name__)

SCHEME = "Exoscale-HMAC-SHA256"
DATE_HEADER = "Exoscale-Date"
# How often a credential's last use is written, so that reads do not each cost a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
# Methods whose repeats are rejected. A GET signed in the same second as an identical GET is
# byte for byte the same request, and clients send such pairs: `runstatus services remove`
# reads the page that a `runstatus info` just read.
REPLAY_CHECKED = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_DATE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:(?P<utc>Z)|(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2}))"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOW = (f"send '{DATE_HEADER}: 2017-02-02T15:18:46Z' and 'Authorization: {SCHEME} "
        "<key>:<signature>'")


def authenticate(request: HttpRequest) -> Credential:
    """Return the credential that signed `request`, or raise a 403 `Problem` saying why not.

    The checks, in order:
    1. the Authorization and Exoscale-Date headers are present and well formed;
    2. the key names a credential that is not revoked, of an active user;
    3. the signature matches one of the URLs the client may have signed (constant time);
    4. the date is within HELIOGRAPH_RUNSTATUS_MAX_SKEW seconds of the server's clock;
    5. a write's signature was not seen before (`SeenSignature`, shared by all processes).
    """
    key, signature = _parse_authorization(request.headers.get("Authorization", ""))
    date_text = request.headers.get(DATE_HEADER, "")
    signed_at = parse_date(date_text)
    credential = _credential(key)
    secret = _secret(credential)

    body = request.body
    matched = False
    for url in signed_urls(request):
        expected = sign(secret, url, date_text, body)
        matched |= hmac.compare_digest(expected, signature.lower())
    if not matched:
        raise forbidden(
            "The signature does not match: sign the full request URL (scheme, host, path and "
            f"query), immediately followed by the {DATE_HEADER} value and the raw body, with "
            "HMAC-SHA256 keyed by the secret, and send it as lowercase hex."
        )

    _check_skew(signed_at, date_text)
    if request.method in REPLAY_CHECKED:
        _check_replay(signature.lower(), signed_at)
    _record_use(credential)
    return credential


def sign(secret: str, url: str, date_text: str, body: bytes) -> str:
    """Return the lowercase hex HMAC-SHA256 of `url`, then `date_text`, then `body`."""
    message = (url + date_text).encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def parse_date(text: str) -> dt.datetime:
    """Return the instant of an Exoscale-Date value, in either of its two forms."""
    match = _DATE.fullmatch(text)
    moment = None
    if match is not None:
        try:
            offset = dt.timedelta(0)
            if not match["utc"]:
                offset = dt.timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
                offset = -offset if match["sign"] == "-" else offset
            naive = dt.datetime.fromisoformat(f"{match['date']}T{match['time']}")
            moment = naive.replace(tzinfo=dt.timezone(offset)).astimezone(dt.UTC)
        except (ValueError, OverflowError):
            moment = None
    if moment is None:
        received = repr(text[:40]) if text else "missing"
        raise forbidden(
            f"The {DATE_HEADER} header is {received}: give the time the request was signed, "
            "as 2017-02-02T15:18:46Z (UTC) or 2017-02-02T16:18:46+0100 (with an offset)."
        )
    return moment


def signed_urls(request: HttpRequest) -> list[str]:
    """Return the URLs a client may have signed for `request`, without duplicates."""
    # NOTE: the path is compared as Django encodes it again after decoding it, so a client
    # that percent-encodes characters that need no encoding (`%7E` for `~`) fails to verify.
    # Clients built on `requests` send such characters unencoded, as Django does.
    full_path = request.get_full_path()
    base = urlsplit(settings.HELIOGRAPH_BASE_URL)
    candidates = [request.build_absolute_uri(), f"{base.scheme}://{base.netloc}{full_path}"]
    # A client given an explicit default port (http://host:80/) signs it, but sends a Host
    # header without it.
    for url in list(candidates):
        parts = urlsplit(url)
        default = _DEFAULT_PORTS.get(parts.scheme)
        if parts.port is None and default is not None and parts.hostname:
            candidates.append(f"{parts.scheme}://{parts.netloc}:{default}{full_path}")
    return list(dict.fromkeys(candidates))


def _parse_authorization(header: str) -> tuple[str, str]:
    scheme, _, credentials = header.strip().partition(" ")
    if not header:
        raise forbidden(f"The request is not signed: {_HOW}.")
    if scheme.lower() != SCHEME.lower():
        raise forbidden(f"The Authorization scheme {scheme[:40]!r} is not accepted: {_HOW}.")
    key, separator, signature = credentials.strip().partition(":")
    if not separator or not _KEY.fullmatch(key) or not _HEX.fullmatch(signature):
        raise forbidden(
            f"The Authorization header is malformed: {_HOW}, where the signature is 64 "
            "hexadecimal digits."
        )
    return key, signature


def _credential(key: str) -> Credential:
    credential = Credential.objects.select_related("user").filter(key=key).first()
    if credential is None:
        raise forbidden(f"No API key {key!r} exists: check the key, or create one with "
                        "`heliograph-admin credentials create` or in the console.")
    if credential.revoked_at is not None:
        raise forbidden(f"The API key {key} was revoked on "
                        f"{credential.revoked_at.isoformat(timespec='seconds')}: create a new "
                        "one.")
    if not credential.user.is_active:
        raise forbidden(f"The user of the API key {key} is deactivated.")
    return credential


def _secret(credential: Credential) -> str:
    try:
        return credential.secret()
    except UnsealError as error:
        # SECRET_KEY changed and the key that sealed the secret is no longer a fallback.
        logger.warning("runstatus credential %s cannot be opened: %s", credential.key, error)
        raise forbidden(f"The server can no longer read the secret of the API key "
                        f"{credential.key}: create a new key.") from None


def _check_skew(signed_at: dt.datetime, date_text: str) -> None:
    seconds = settings.HELIOGRAPH_RUNSTATUS_MAX_SKEW
    limit = dt.timedelta(seconds=seconds)
    now = timezone.now()
    if signed_at < now - limit:
        raise forbidden(
            f"The request was signed at {date_text}, more than {seconds} seconds ago: "
            "sign each request when it is sent, and check the client's clock."
        )
    if signed_at > now + limit:
        raise forbidden(
            f"The request is dated {date_text}, more than {seconds} seconds ahead of the "
            "server's clock: check the client's clock and time zone offset."
        )


def _check_replay(signature: str, signed_at: dt.datetime) -> None:
    """Record the signature of a write; reject one seen before.

    The unique constraint decides between two processes that receive the same request at the
    same time. Rows whose date has left the skew window are deleted, because such a request
    is rejected as stale anyway.
    """
    now = timezone.now()
    limit = dt.timedelta(seconds=settings.HELIOGRAPH_RUNSTATUS_MAX_SKEW)
    SeenSignature.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            SeenSignature.objects.create(signature=signature, expires_at=signed_at + limit)
    except IntegrityError:
        raise forbidden(
            "This request was already received (same signature): sign each request anew. Two "
            "identical writes signed within the same second look the same, so wait a second "
            "before repeating one."
        ) from None


def _record_use(credential: Credential) -> None:
    now = timezone.now()
    if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
        Credential.objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now
