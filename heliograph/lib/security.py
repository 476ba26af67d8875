"""Security headers sent with every response, and `/.well-known/security.txt`.

`SecurityHeadersMiddleware` gives each request a fresh nonce (`request.csp_nonce`) and sends a
Content-Security-Policy that allows scripts and styles only from this origin or from inline
`<script>` and `<style>` elements that carry the nonce. Browsers block inline `style="..."`
attributes and event-handler attributes under that policy.

A response that already carries a Content-Security-Policy keeps it. Uploaded logos and the
frameable `/embed` page set their own. A cache that stores a rendered page must store the
response's Content-Security-Policy with it and send both together: the nonce in the cached
body is valid only with the header of the same render.

Django's SecurityMiddleware sends `Strict-Transport-Security` (on secure requests only),
`X-Content-Type-Options`, `Referrer-Policy` and `Cross-Origin-Opener-Policy` from the
SECURE_* settings; this module adds what Django has no setting for.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

CSP_HEADER = "Content-Security-Policy"

# Browser features that no screen of Heliograph uses. An empty allow list turns each one off
# for the page and for anything it frames.
DENIED_FEATURES = (
    "accelerometer", "ambient-light-sensor", "autoplay", "battery", "bluetooth", "camera",
    "display-capture", "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer",
    "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "serial",
    "usb", "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)

# Path prefixes of screens that must never be shown inside a frame of another site, because
# they have forms that a framing site could trick a signed-in user into submitting.
_NEVER_FRAMED = ("/console/", "/accounts/")


def content_security_policy(nonce: str) -> str:
    """Return the policy for HTML responses whose inline elements carry `nonce`.

    No screen uses `data:` images, so images come from this origin only. No page under this
    policy may be framed. The `/embed` page, made for frames, sends a policy of its own.
    """
    source = f"'self' 'nonce-{nonce}'"
    directives = [
        "default-src 'self'",
        f"script-src {source}",
        f"style-src {source}",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def new_nonce() -> str:
    """Return a fresh nonce of 128 random bits, in the base64url alphabet that CSP accepts."""
    return secrets.token_urlsafe(16)


class SecurityHeadersMiddleware:
    """Set `request.csp_nonce`, then add the policy headers that the response lacks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        nonce = new_nonce()
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if CSP_HEADER not in response:
            response[CSP_HEADER] = content_security_policy(nonce)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path_info.startswith(_NEVER_FRAMED):
            # Overrides an exemption, so that no console or account screen can be framed.
            response["X-Frame-Options"] = "DENY"
        if request.is_secure():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["secure"] = True
        return response


def csp_nonce(request: HttpRequest) -> dict[str, str]:
    """Template context processor: `csp_nonce`, for the `nonce` attribute of inline elements."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


# security.txt (RFC 9116)


def security_txt_lines(now: dt.datetime, origin: str) -> list[str] | None:
    """Return the fields of security.txt served at `origin`, or None without a contact.

    Expires is required by RFC 9116 and must be less than a year ahead, so it is computed at
    each request from HELIOGRAPH_SECURITY_TXT_DAYS instead of written down once.
    """
    contacts: list[str] = settings.HELIOGRAPH_SECURITY_CONTACTS
    if not contacts:
        return None
    expires = now + dt.timedelta(days=settings.HELIOGRAPH_SECURITY_TXT_DAYS)
    lines = [f"Contact: {contact}" for contact in contacts]
    lines.append(f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    if settings.HELIOGRAPH_SECURITY_POLICY_URL:
        lines.append(f"Policy: {settings.HELIOGRAPH_SECURITY_POLICY_URL}")
    lines.append(f"Preferred-Languages: {', '.join(settings.HELIOGRAPH_SECURITY_LANGUAGES)}")
    lines.append(f"Canonical: {origin.rstrip('/')}/.well-known/security.txt")
    return lines


@require_safe
def security_txt(request: HttpRequest) -> HttpResponse:
    """Serve `/.well-known/security.txt`, or 404 when HELIOGRAPH_SECURITY_CONTACT is not set.

    RFC 9116 names the file's own address as Canonical, so a page's host names its own.
    """
    from heliograph.lib.urls import public_url
    from heliograph.public.routing import HostKind, host_match

    match = host_match(request)
    origin = (public_url(match.page) if match.kind == HostKind.PAGE and match.page is not None
              else settings.HELIOGRAPH_BASE_URL)
    lines = security_txt_lines(dt.datetime.now(dt.UTC), origin)
    if lines is None:
        raise Http404("No security contact is configured.")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def contacts_from_env(raw: str, variable: str) -> list[str]:
    """Parse comma-separated security contacts: e-mail addresses, or mailto:, https: or tel: URIs.

    A bare address becomes a `mailto:` URI, because RFC 9116 requires URIs.
    """
    from django.core.exceptions import ImproperlyConfigured

    contacts = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if item.startswith(("mailto:", "https://", "tel:")):
            contacts.append(item)
        elif "@" in item and ":" not in item and " " not in item:
            contacts.append(f"mailto:{item}")
        else:
            raise ImproperlyConfigured(
                f"{variable}: {item!r} is not a contact: give an e-mail address or a mailto:, "
                "https:// or tel: URI, separated by commas."
            )
    return contacts


def proxy_ssl_header_from_env(variable: str) -> tuple[str, str] | None:
    """Parse `NAME` or `NAME=VALUE` into Django's SECURE_PROXY_SSL_HEADER, or None when unset.

    `X-Forwarded-Proto` becomes `("HTTP_X_FORWARDED_PROTO", "https")`.
    """
    import os
    import re

    from django.core.exceptions import ImproperlyConfigured

    raw = os.environ.get(variable, "").strip()
    if not raw:
        return None
    name, _, value = raw.partition("=")
    name, value = name.strip(), value.strip() or "https"
    if not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ImproperlyConfigured(
            f"{variable}={raw!r} is not a header: give a name such as X-Forwarded-Proto, "
            "optionally followed by =VALUE (https when left out)."
        )
    return "HTTP_" + name.upper().replace("-", "_"), value
