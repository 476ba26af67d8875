"""Local servers on 127.0.0.1 that speak the parts of X's and Mastodon's APIs that we call."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from oauthlib.common import Request
from oauthlib.oauth1.rfc5849 import signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape
from requests.adapters import HTTPAdapter

X_ORIGIN = "https://api.twitter.com"


@dataclass
class FakeX:
    """A fake X API: POST /2/tweets answers from `script` ("ok", "duplicate", "rate_limit").

    Each request's OAuth 1.0a signature is checked against the original api.twitter.com URL,
    with `consumer_secret` and `token_secret`; a bearer token must equal `bearer`.
    """

    consumer_secret: str = "app-secret"
    token_secret: str = "user-secret"
    bearer: str = ""
    script: list[str] = field(default_factory=list)
    reset_at: int = 0
    tweets: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    port: int = 0
    # OAuth 1.0a linking: request token -> its secret, and request token -> the verifier
    # given when the account owner approves on X's authorise page.
    request_tokens: dict[str, str] = field(default_factory=dict)
    verifiers: dict[str, str] = field(default_factory=dict)
    callbacks: list[str] = field(default_factory=list)
    username: str = "acme_status"

    def authorize(self, request_token: str) -> str:
        """Approve `request_token` as the account owner would, and return the verifier."""
        verifier = f"verifier-{len(self.verifiers)}"
        self.verifiers[request_token] = verifier
        return verifier

    def check_auth(self, method: str, path: str, header: str,
                   token_secret: str | None = None) -> bool:
        if header.startswith("Bearer "):
            return bool(self.bearer) and header == f"Bearer {self.bearer}"
        if not header.startswith("OAuth "):
            return False
        request = Request(f"{X_ORIGIN}{path}", http_method=method,
                          headers={"Authorization": header})
        sent = [(name, unescape(value)) for name, value in parse_authorization_header(header)]
        request.signature = dict(sent).get("oauth_signature", "")
        # The signature covers every OAuth parameter except itself and the realm.
        request.params = [(name, value) for name, value in sent
                          if name not in ("realm", "oauth_signature")]
        secret = self.token_secret if token_secret is None else token_secret
        return signature.verify_hmac_sha1(request, self.consumer_secret, secret)

    @staticmethod
    def oauth_params(header: str) -> dict[str, str]:
        return {name: unescape(value) for name, value in parse_authorization_header(header)}


@dataclass
class FakeMastodon:
    """A fake Mastodon instance: POST /api/v1/statuses, keyed by the Idempotency-Key header."""

    token: str = "masto-token"
    script: list[str] = field(default_factory=list)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    reset_at: int = 0
    port: int = 0
    # OAuth linking: registered apps by client id, and codes given on approval.
    apps: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    username: str = "acme"
    max_characters: int | None = 1000
    # Answer 404 for the instance information, as instances that hide it do.
    instance_hidden: bool = False
    # The scopes the token grants; None grants those requested.
    granted_scope: str | None = None

    def authorize(self, client_id: str, redirect_uri: str, scope: str) -> str:
        """Approve the app as the account owner would, and return the authorization code."""
        app = self.apps[client_id]
        assert redirect_uri in app["redirect_uris"].split("\n"), redirect_uri
        assert set(scope.split()) <= set(app["scopes"].split()), scope
        code = f"code-{len(self.codes)}"
        self.codes[code] = {"client_id": client_id, "redirect_uri": redirect_uri}
        return code


def _handler(fake: FakeX | FakeMastodon) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, code: int, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _reply_form(self, code: int, body: dict[str, str]) -> None:
            data = urllib.parse.urlencode(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/x-www-form-urlencoded")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if isinstance(fake, FakeX):
                self._x_get()
            else:
                self._mastodon_get()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if isinstance(fake, FakeX):
                if self.path.startswith("/oauth/"):
                    self._x_oauth()
                else:
                    self._x(raw)
            elif self.path in ("/api/v1/apps", "/oauth/token"):
                self._mastodon_oauth(raw)
            else:
                self._mastodon(raw)

        def _x_get(self) -> None:
            assert isinstance(fake, FakeX)
            if self.path != "/2/users/me":
                self._reply(404, {"title": "Not Found"})
                return
            if not fake.check_auth("GET", self.path, self.headers.get("Authorization", "")):
                self._reply(401, {"title": "Unauthorized", "status": 401})
                return
            self._reply(200, {"data": {"id": "42", "name": "Acme status",
                                       "username": fake.username}})

        def _x_oauth(self) -> None:
            assert isinstance(fake, FakeX)
            header = self.headers.get("Authorization", "")
            params = fake.oauth_params(header) if header.startswith("OAuth ") else {}
            if self.path == "/oauth/request_token":
                if not fake.check_auth("POST", self.path, header, token_secret=""):
                    self._reply(401, {"errors": [{"code": 32, "message": "Could not "
                                                  "authenticate you."}]})
                    return
                fake.callbacks.append(params.get("oauth_callback", ""))
                token = f"request-{len(fake.request_tokens)}"
                fake.request_tokens[token] = f"request-secret-{len(fake.request_tokens)}"
                self._reply_form(200, {"oauth_token": token,
                                       "oauth_token_secret": fake.request_tokens[token],
                                       "oauth_callback_confirmed": "true"})
            elif self.path == "/oauth/access_token":
                token = params.get("oauth_token", "")
                secret = fake.request_tokens.get(token)
                if secret is None or not fake.check_auth("POST", self.path, header,
                                                         token_secret=secret) \
                        or fake.verifiers.get(token) != params.get("oauth_verifier"):
                    self._reply(401, {"errors": [{"code": 89, "message": "Invalid or "
                                                  "expired token."}]})
                    return
                # A request token is exchanged once.
                del fake.request_tokens[token]
                self._reply_form(200, {"oauth_token": "user-token",
                                       "oauth_token_secret": fake.token_secret,
                                       "user_id": "42", "screen_name": fake.username})
            else:
                self._reply(404, {"title": "Not Found"})

        def _mastodon_get(self) -> None:
            assert isinstance(fake, FakeMastodon)
            path = urllib.parse.urlsplit(self.path).path.rstrip("/")
            if path == "/api/v1/accounts/verify_credentials":
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._reply(401, {"error": "The access token is invalid"})
                    return
                self._reply(200, {"id": "7", "username": fake.username,
                                  "acct": fake.username, "display_name": "Acme"})
            elif path in ("/api/v1/instance", "/api/v2/instance") and not fake.instance_hidden:
                statuses = ({} if fake.max_characters is None
                            else {"max_characters": fake.max_characters})
                self._reply(200, {"domain": "127.0.0.1", "uri": "127.0.0.1", "title": "Fake",
                                  "version": "4.3.0", "api_versions": {"mastodon": 2},
                                  "configuration": {"statuses": statuses}})
            else:
                self._reply(404, {"error": "Record not found"})

        def _mastodon_oauth(self, raw: bytes) -> None:
            assert isinstance(fake, FakeMastodon)
            form = dict(urllib.parse.parse_qsl(raw.decode()))
            if self.path == "/api/v1/apps":
                client_id = f"client-{len(fake.apps)}"
                fake.apps[client_id] = {"client_secret": f"secret-{len(fake.apps)}",
                                        "redirect_uris": form.get("redirect_uris", ""),
                                        "scopes": form.get("scopes", "")}
                self._reply(200, {"id": str(len(fake.apps)), "name": form.get("client_name"),
                                  "client_id": client_id,
                                  "client_secret": fake.apps[client_id]["client_secret"]})
                return
            app = fake.apps.get(form.get("client_id", ""))
            grant = fake.codes.pop(form.get("code", ""), None)
            if app is None or app["client_secret"] != form.get("client_secret") \
                    or form.get("grant_type") != "authorization_code" or grant is None \
                    or grant["client_id"] != form.get("client_id") \
                    or grant["redirect_uri"] != form.get("redirect_uri"):
                self._reply(400, {"error": "invalid_grant",
                                  "error_description": "The provided authorization grant "
                                                       "is invalid."})
                return
            self._reply(200, {"access_token": fake.token, "token_type": "Bearer",
                              "scope": (form.get("scope", "") if fake.granted_scope is None
                                        else fake.granted_scope),
                              "created_at": 1764900000})

        def _x(self, raw: bytes) -> None:
            assert isinstance(fake, FakeX)
            if self.path != "/2/tweets":
                self._reply(404, {"title": "Not Found"})
                return
            if not fake.check_auth("POST", self.path, self.headers.get("Authorization", "")):
                fake.errors.append("bad authorization")
                self._reply(401, {"title": "Unauthorized", "detail": "Unauthorized",
                                  "status": 401})
                return
            step = fake.script.pop(0) if fake.script else "ok"
            if step == "duplicate":
                self._reply(403, {"detail": "You are not allowed to create a Tweet with "
                                            "duplicate content.", "status": 403,
                                  "title": "Forbidden"})
            elif step == "rate_limit":
                self._reply(429, {"title": "Too Many Requests", "status": 429},
                            {"x-rate-limit-reset": str(fake.reset_at)})
            else:
                text = json.loads(raw)["text"]
                tweet = {"id": str(1860000000000000000 + len(fake.tweets)), "text": text}
                fake.tweets.append(tweet)
                self._reply(201, {"data": {"id": tweet["id"], "text": text,
                                           "edit_history_tweet_ids": [tweet["id"]]}})

        def _mastodon(self, raw: bytes) -> None:
            assert isinstance(fake, FakeMastodon)
            if self.path != "/api/v1/statuses":
                self._reply(404, {"error": "Record not found"})
                return
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                self._reply(401, {"error": "The access token is invalid"})
                return
            key = self.headers.get("Idempotency-Key", "")
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("application/json"):
                form = {k: str(v) for k, v in json.loads(raw).items()}
            else:
                form = dict(urllib.parse.parse_qsl(raw.decode()))
            fake.requests.append({"key": key, **form})
            step = fake.script.pop(0) if fake.script else "ok"
            if step == "rate_limit":
                self._reply(429, {"error": "Too many requests"},
                            {"X-RateLimit-Reset": f"{fake.reset_at}",
                             "X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "300"})
                return
            if step == "server_error":
                self._reply(503, {"error": "Service unavailable"})
                return
            if key and key in fake.statuses:
                self._reply(200, fake.statuses[key])
                return
            status_id = str(110000000000000000 + len(fake.statuses) + 1)
            status = {"id": status_id, "url": f"http://127.0.0.1:{fake.port}/@acme/{status_id}",
                      "content": f"<p>{form.get('status', '')}</p>",
                      "visibility": form.get("visibility", "public")}
            fake.statuses[key or status_id] = status
            self._reply(200, status)

    return Handler


@contextmanager
def serve(fake: FakeX | FakeMastodon) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake.port
    finally:
        server.shutdown()
        server.server_close()


class RewriteAdapter(HTTPAdapter):
    """Send requests for `origin` (https://api.twitter.com) to a local server, after signing."""

    def __init__(self, port: int, origin: str = X_ORIGIN) -> None:
        super().__init__()
        self.origin = origin
        self.target = f"http://127.0.0.1:{port}"

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        request.url = self.target + request.url[len(self.origin):]
        return super().send(request, **kwargs)
