"""Link a page's X and Mastodon accounts by sending its owner to the network's authorisation page.

X uses OAuth 1.0a three-legged: Heliograph requests a request token with the application keys
from HELIOGRAPH_X_API_KEY and HELIOGRAPH_X_API_SECRET, sends the owner to X's authorise URL, and
trades the request token and the returned verifier for the account's access token and secret.
They do not expire unless the account owner revokes them, and the posting code already signs
OAuth 1.0a requests, so nothing needs refreshing. The requests go through requests-oauthlib's
OAuth1Session, the client that tweepy.OAuth1UserHandler wraps, because that handler makes a new
session for the access token request and so gives no place to mount the adapters of `posting`.

Mastodon uses OAuth 2.0: Heliograph registers an application on the instance once (stored as a
MastodonApp), sends the owner to the instance's authorise URL with a random state, and trades the
returned code for an access token.

The pending flow is kept in the server-side session under one key per network, and is removed
when the callback arrives, so a callback is accepted once, for the user that started it, within
FLOW_MAX_AGE seconds.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import requests
import tweepy
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.urls import reverse
from mastodon import Mastodon, MastodonError
from oauthlib.oauth1 import OAuth1Error
from requests_oauthlib import OAuth1Session
from requests_oauthlib.oauth1_session import TokenMissing, TokenRequestDenied

from heliograph.accounts.sealing import seal
from heliograph.domain.audit import Actor
from heliograph.domain.errors import Conflict, DomainError, InvalidValue
from heliograph.domain.models import Page
from heliograph.notifications import channels
from heliograph.notifications.channels import PermanentFailure, TemporaryFailure
from heliograph.social import linking
from heliograph.social.models import MastodonApp, Network, SocialAccount
from heliograph.social.posting import (
    REQUEST_TIMEOUT,
    X_API_KEY,
    X_API_SECRET,
    _AccountChannel,
    vet_instance,
)

logger = logging.getLogger(__name__)

X_OAUTH = "https://api.twitter.com/oauth"
MASTODON_SCOPES = ["write:statuses", "read:accounts"]
APP_NAME = "Heliograph"
# Seconds an owner has to approve on the network's page before the callback is rejected.
FLOW_MAX_AGE = 15 * 60
SESSION_KEY = "social_oauth_{network}"
# The post length limits accepted from an instance; anything else keeps the 500 default.
MAX_CHARACTERS_RANGE = (50, 100_000)


class LinkFailed(DomainError):
    """The network refused or failed a step of the linking flow; nothing was stored."""

    http_status = 400


@dataclass(frozen=True)
class Callback:
    """The page and user a callback belongs to, read from the session before it is checked."""

    page_id: int
    user_id: int


def callback_url(network: str) -> str:
    """Return the callback URL to register with the network, built from HELIOGRAPH_BASE_URL."""
    base = settings.HELIOGRAPH_BASE_URL.rstrip("/")
    return f"{base}{reverse(f'console:social-{network}-callback')}"


def _http_session(network: str) -> requests.Session:
    """Return a session with the timeout and the adapters of the network's posting channel."""
    channel = channels.get(network)
    return channel.session() if isinstance(channel, _AccountChannel) else requests.Session()


def _oauth1_session(key: str, secret: str, **values: str) -> OAuth1Session:
    oauth = OAuth1Session(key, client_secret=secret, **values)
    for prefix, adapter in _http_session(Network.X).adapters.items():
        oauth.mount(prefix, adapter)
    return oauth


def _check_unlinked(page: Page, network: str) -> None:
    if SocialAccount.objects.filter(page=page, network=network).exists():
        raise Conflict("account_linked", linking.already_linked_message(network),
                       field="network")


def _save_flow(session: SessionBase, network: str, page: Page, user_id: int,
               **values: str) -> None:
    session[SESSION_KEY.format(network=network)] = {
        "page_id": page.pk, "user_id": user_id, "started": time.time(), **values}


def pending(session: SessionBase, network: str) -> Callback | None:
    """Return the page and user of the network's pending flow, or None when none is pending."""
    flow = session.get(SESSION_KEY.format(network=network))
    if not isinstance(flow, dict):
        return None
    return Callback(page_id=int(flow["page_id"]), user_id=int(flow["user_id"]))


def _take_flow(session: SessionBase, network: str, user_id: int) -> dict[str, Any]:
    """Remove and return the pending flow, or raise LinkFailed when none is valid any more."""
    flow = session.pop(SESSION_KEY.format(network=network), None)
    label = Network(network).label
    if not isinstance(flow, dict) or flow.get("user_id") != user_id:
        raise LinkFailed("no_pending_link",
                         f"No {label} link was started from this browser, or it was already "
                         f"completed: click “Link {label} account” again.")
    if time.time() - float(flow.get("started", 0)) > FLOW_MAX_AGE:
        raise LinkFailed("link_expired",
                         f"The {label} link was started more than {FLOW_MAX_AGE // 60} minutes "
                         f"ago: click “Link {label} account” again.")
    return flow


def _same(received: str, expected: str, network: str) -> None:
    if not received or not secrets.compare_digest(received.encode(), expected.encode()):
        label = Network(network).label
        raise LinkFailed("state_mismatch",
                         f"The {label} callback does not match the link started from this "
                         f"browser, so it was rejected: click “Link {label} account” again.")


# X, OAuth 1.0a


def _x_keys() -> tuple[str, str]:
    key, secret = os.environ.get(X_API_KEY, ""), os.environ.get(X_API_SECRET, "")
    if not key or not secret:
        raise LinkFailed("x_keys_missing",
                         f"{X_API_KEY} and {X_API_SECRET} are not set on the server: set them "
                         "to the X app's API key and secret, or paste the account's tokens "
                         "below.")
    return key, secret


def _x_error(step: str, error: Exception) -> LinkFailed:
    logger.warning("X OAuth %s failed: %s", step, error)
    if isinstance(error, TokenRequestDenied):
        detail = f"X answered HTTP {error.status_code}"
    elif isinstance(error, requests.RequestException):
        detail = f"X could not be reached ({type(error).__name__})"
    else:
        detail = "X returned an invalid answer"
    return LinkFailed("x_oauth_failed",
                      f"{detail} while {step}: check the X app's keys and that its callback "
                      f"URL is {callback_url(Network.X)}, then try again.")


def start_x(session: SessionBase, page: Page, user_id: int) -> str:
    """Request an X request token and return the authorise URL to send the owner to."""
    _check_unlinked(page, Network.X)
    key, secret = _x_keys()
    oauth = _oauth1_session(key, secret, callback_uri=callback_url(Network.X))
    try:
        token = oauth.fetch_request_token(f"{X_OAUTH}/request_token", timeout=REQUEST_TIMEOUT)
    except (TokenRequestDenied, TokenMissing, ValueError, OAuth1Error,
            requests.RequestException) as error:
        raise _x_error("requesting a request token", error) from error
    _save_flow(session, Network.X, page, user_id, oauth_token=token["oauth_token"],
               oauth_token_secret=token["oauth_token_secret"])
    return str(oauth.authorization_url(f"{X_OAUTH}/authorize"))


def finish_x(session: SessionBase, page: Page, user_id: int, query: dict[str, str],
             actor: Actor) -> SocialAccount:
    """Trade the callback's verifier for the account's tokens, look up its handle, link it."""
    flow = _take_flow(session, Network.X, user_id)
    if "denied" in query:
        _same(query["denied"], flow["oauth_token"], Network.X)
        raise LinkFailed("x_denied", "The X account owner did not authorise Heliograph, so "
                                     "no account was linked.")
    _same(query.get("oauth_token", ""), flow["oauth_token"], Network.X)
    verifier = query.get("oauth_verifier", "")
    if not verifier:
        raise LinkFailed("missing_verifier", "The X callback has no oauth_verifier: click "
                                             "“Link X account” again.")
    _check_unlinked(page, Network.X)
    key, secret = _x_keys()
    oauth = _oauth1_session(key, secret, resource_owner_key=flow["oauth_token"],
                            resource_owner_secret=flow["oauth_token_secret"], verifier=verifier)
    try:
        access = oauth.fetch_access_token(f"{X_OAUTH}/access_token", timeout=REQUEST_TIMEOUT)
    except (TokenRequestDenied, TokenMissing, ValueError, OAuth1Error,
            requests.RequestException) as error:
        raise _x_error("trading the verifier for an access token", error) from error
    token, token_secret = access["oauth_token"], access["oauth_token_secret"]
    handle = _x_handle(key, secret, token, token_secret) or access.get("screen_name", "")
    return linking.link_x(page, handle=handle, token=token, secret=token_secret, actor=actor)


def _x_handle(key: str, secret: str, token: str, token_secret: str) -> str:
    """Return the linked account's @name from GET /2/users/me, or "" when the request fails."""
    client = tweepy.Client(consumer_key=key, consumer_secret=secret, access_token=token,
                           access_token_secret=token_secret)
    client.session = _http_session(Network.X)
    try:
        response = client.get_me(user_auth=True)
    except (tweepy.TweepyException, requests.RequestException) as error:
        logger.warning("X did not return the linked account's name: %s", error)
        return ""
    data = response.data if isinstance(response, tweepy.Response) else None
    return str(getattr(data, "username", "") or "")


# Mastodon, OAuth 2.0


def _vet(instance_url: str) -> None:
    try:
        vet_instance(instance_url)
    except (PermanentFailure, TemporaryFailure) as error:
        raise InvalidValue("address_rejected",
                           f"{instance_url!r} cannot be used as a Mastodon instance: {error}.",
                           field="instance_url") from None


def _mastodon_error(instance_url: str, step: str, error: Exception) -> LinkFailed:
    logger.warning("Mastodon OAuth %s on %s failed: %s", step, instance_url, error)
    return LinkFailed("mastodon_oauth_failed",
                      f"{instance_url} failed while {step} ({type(error).__name__}): check "
                      "the address and that the instance is up, then try again.")


def _client(instance_url: str, **values: Any) -> Mastodon:
    return Mastodon(api_base_url=instance_url, request_timeout=REQUEST_TIMEOUT,
                    version_check_mode="none", ratelimit_method="throw",
                    session=_http_session(Network.MASTODON), **values)


def _app(instance_url: str) -> MastodonApp:
    """Return Heliograph's application on the instance, registering it on first use."""
    redirect_uri = callback_url(Network.MASTODON)
    app = MastodonApp.objects.filter(instance_url=instance_url, redirect_uri=redirect_uri).first()
    if app is not None:
        return app
    try:
        client_id, client_secret = Mastodon.create_app(
            APP_NAME, scopes=MASTODON_SCOPES, redirect_uris=redirect_uri,
            website=settings.HELIOGRAPH_BASE_URL, api_base_url=instance_url,
            request_timeout=REQUEST_TIMEOUT, session=_http_session(Network.MASTODON))
    except (MastodonError, KeyError, TypeError, ValueError) as error:
        raise _mastodon_error(instance_url, "registering the application", error) from error
    # Another request may have registered one meanwhile; both work, and the stored one wins.
    app, _created = MastodonApp.objects.get_or_create(
        instance_url=instance_url, redirect_uri=redirect_uri,
        defaults={"client_id": client_id, "sealed_client_secret": seal(client_secret)})
    return app


def start_mastodon(session: SessionBase, page: Page, user_id: int, instance_url: str) -> str:
    """Register on the instance if needed and return its authorise URL with a fresh state."""
    _check_unlinked(page, Network.MASTODON)
    instance_url = linking.normalize_instance_url(instance_url)
    _vet(instance_url)
    app = _app(instance_url)
    state = secrets.token_urlsafe(32)
    client = _client(instance_url, client_id=app.client_id, client_secret=app.client_secret)
    url = client.auth_request_url(redirect_uris=app.redirect_uri, scopes=MASTODON_SCOPES,
                                  force_login=True, state=state, skip_server_info=True)
    _save_flow(session, Network.MASTODON, page, user_id, state=state, instance_url=instance_url)
    return str(url)


def finish_mastodon(session: SessionBase, page: Page, user_id: int, query: dict[str, str],
                    actor: Actor) -> SocialAccount:
    """Trade the callback's code for an access token, read the account and instance, link it."""
    flow = _take_flow(session, Network.MASTODON, user_id)
    _same(query.get("state", ""), flow["state"], Network.MASTODON)
    instance_url = str(flow["instance_url"])
    if "error" in query:
        raise LinkFailed("mastodon_denied",
                         f"{instance_url} did not authorise Heliograph "
                         f"({query['error'][:100]}), so no account was linked.")
    code = query.get("code", "")
    if not code:
        raise LinkFailed("missing_code", "The Mastodon callback has no code: click "
                                         "“Link Mastodon account” again.")
    _check_unlinked(page, Network.MASTODON)
    _vet(instance_url)
    app = MastodonApp.objects.filter(instance_url=instance_url,
                                     redirect_uri=callback_url(Network.MASTODON)).first()
    if app is None:
        raise LinkFailed("no_app", f"Heliograph's application on {instance_url} was removed: "
                                   "click “Link Mastodon account” again.")
    token = _mastodon_token(instance_url, app, code)
    client = _client(instance_url, access_token=token)
    try:
        account = client.account_verify_credentials()
    except MastodonError as error:
        raise _mastodon_error(instance_url, "reading the linked account", error) from error
    host = urllib.parse.urlsplit(instance_url).netloc
    handle = f"{account.get('username', '')}@{host}" if account.get("username") else ""
    return linking.link_mastodon(page, instance_url=instance_url, handle=handle, token=token,
                                 max_characters=_max_characters(client, instance_url),
                                 actor=actor)


def _mastodon_token(instance_url: str, app: MastodonApp, code: str) -> str:
    """Trade the callback's code for an access token that grants every scope requested.

    Mastodon.py's `log_in` is not used for this. After the trade it requests the instance's
    version again until it gets one, so an instance that hides `/api/v1/instance` sent it
    into endless recursion.
    """
    form = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
            "client_secret": app.client_secret, "redirect_uri": app.redirect_uri,
            "scope": " ".join(MASTODON_SCOPES)}
    step = "trading the code for an access token"
    try:
        response = _http_session(Network.MASTODON).post(
            f"{instance_url}/oauth/token", data=form, timeout=REQUEST_TIMEOUT)
        reply = response.json() if response.content else {}
    except (requests.RequestException, ValueError) as error:
        raise _mastodon_error(instance_url, step, error) from error
    if not isinstance(reply, dict):
        reply = {}
    token = reply.get("access_token")
    if response.status_code != 200 or not isinstance(token, str) or not token:
        reason = str(reply.get("error_description") or reply.get("error") or "no access token")
        logger.warning("Mastodon OAuth %s on %s failed: HTTP %s, %s", step, instance_url,
                       response.status_code, reason[:200])
        raise LinkFailed("mastodon_code_rejected",
                         f"{instance_url} did not give an access token for the code (HTTP "
                         f"{response.status_code}: {reason[:200]}): click “Link Mastodon "
                         "account” again.")
    granted = str(reply.get("scope", "")).split()
    if not set(MASTODON_SCOPES) <= set(granted):
        raise LinkFailed("mastodon_scopes",
                         f"{instance_url} granted the scopes {' '.join(granted) or 'none'!r} "
                         f"but Heliograph needs {' '.join(MASTODON_SCOPES)!r}: link the "
                         "account again and allow both.")
    return token


def _max_characters(client: Mastodon, instance_url: str) -> int | None:
    """Return the instance's post length limit, or None (500) when it does not state one."""
    try:
        info = client.instance_v2()
    except MastodonError:
        try:
            info = client.instance_v1()
        except MastodonError as error:
            logger.warning("%s returned no instance information: %s", instance_url, error)
            return None
    statuses = (info.get("configuration") or {}).get("statuses") or {}
    value = statuses.get("max_characters")
    low, high = MAX_CHARACTERS_RANGE
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None
