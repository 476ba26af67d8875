"""Link and unlink a page's X and Mastodon accounts, with an audit entry for each change.

The audit entry records the network, the handle and the instance, never a token.
"""

from __future__ import annotations

import urllib.parse

from django.db import transaction

from heliograph.domain import audit
from heliograph.domain.audit import Actor
from heliograph.domain.errors import Conflict, InvalidValue
from heliograph.domain.models import Page
from heliograph.domain.validation import check_text
from heliograph.lib import outbound
from heliograph.social.models import Network, SocialAccount

AUDIT_FIELDS = ["network", "handle", "instance_url", "max_characters"]
TOKEN_MAX = 2000


def _check_token(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidValue("missing_token", "Enter the access token.", field=field)
    if len(value) > TOKEN_MAX or any(character.isspace() for character in value):
        raise InvalidValue("invalid_token",
                           f"The token must be one word of at most {TOKEN_MAX} characters: "
                           "paste it again without spaces.", field=field)
    return value


def normalize_instance_url(value: str) -> str:
    """Return `value` as https://host[:port], or raise InvalidValue naming the field."""
    text = check_text(value, field="instance_url", max_length=200, multiline=False)
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urllib.parse.urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.hostname \
            or parts.path not in ("", "/") or parts.query or parts.username:
        raise InvalidValue(
            "invalid_instance_url",
            f"{value!r} is not a Mastodon instance address: enter https:// and the host name "
            "only, for example https://mastodon.social.",
            field="instance_url",
        )
    literal = outbound.literal_address(parts.hostname)
    reason = None if literal is None else outbound.rejection(literal, outbound.allowed_networks())
    if reason is not None:
        raise InvalidValue("address_rejected",
                           f"{value!r} cannot be used as a Mastodon instance: {reason}.",
                           field="instance_url")
    return f"https://{parts.netloc.lower()}"


def already_linked_message(network: str) -> str:
    article = "An" if network == Network.X else "A"
    return f"{article} {Network(network).label} account is already linked: unlink it first."


def _link(page: Page, account: SocialAccount, actor: Actor) -> SocialAccount:
    with transaction.atomic():
        if SocialAccount.objects.select_for_update().filter(
            page=page, network=account.network
        ).exists():
            raise Conflict("account_linked", already_linked_message(account.network),
                           field="network")
        account.linked_by = actor.user
        account.save()
        audit.record(page, actor, "social.link", account,
                     after=audit.snapshot(account, AUDIT_FIELDS))
    return account


def link_x(page: Page, *, handle: str, token: str, secret: str, actor: Actor) -> SocialAccount:
    """Link the page's X account: an OAuth 1.0a token and secret, or an OAuth 2.0 user token."""
    account = SocialAccount(page=page, network=Network.X, handle=_handle(handle))
    account.set_tokens(_check_token(token, "token"),
                       _check_token(secret, "secret") if secret.strip() else "")
    return _link(page, account, actor)


def link_mastodon(page: Page, *, instance_url: str, handle: str, token: str,
                  max_characters: int | None, actor: Actor) -> SocialAccount:
    """Link the page's Mastodon account on `instance_url` with an access token."""
    if max_characters is not None and not 50 <= max_characters <= 100_000:
        raise InvalidValue("invalid_max_characters",
                           "The post length limit must be from 50 to 100000 characters, or "
                           "empty for 500.", field="max_characters")
    account = SocialAccount(page=page, network=Network.MASTODON, handle=_handle(handle),
                            instance_url=normalize_instance_url(instance_url),
                            max_characters=max_characters)
    account.set_tokens(_check_token(token, "token"))
    return _link(page, account, actor)


def unlink(account: SocialAccount, *, actor: Actor) -> None:
    """Remove a linked account. The worker cancels its pending deliveries when it reaches them."""
    with transaction.atomic():
        before = audit.snapshot(account, AUDIT_FIELDS)
        audit.record(account.page, actor, "social.unlink", account, before=before)
        account.delete()


def _handle(value: str) -> str:
    handle = " ".join(check_text(value, field="handle", max_length=200, required=False,
                                 multiline=False).split())
    if handle and not handle.startswith("@"):
        handle = f"@{handle}"
    return handle
