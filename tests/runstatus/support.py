"""A test client that signs its requests as Runstatus clients do, and helpers around it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

from django.test import Client
from django.utils import timezone
from django.utils.encoding import iri_to_uri

PREFIX = "/runstatus"
# The test client's requests arrive for this host, so they sign URLs on it.
ORIGIN = "http://testserver"


def exoscale_date(moment: dt.datetime | None = None) -> str:
    """Return the UTC form of an Exoscale-Date value, `2017-02-02T15:18:46Z`."""
    return (moment or timezone.now()).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signature(secret: str, url: str, date: str, body: bytes = b"") -> str:
    """Return the signature that `requests-exoscale-auth` computes for a request."""
    return hmac.new(secret.encode(), (url + date).encode() + body, hashlib.sha256).hexdigest()


class RunstatusClient:
    """Send signed JSON requests to the Runstatus API of the test server.

    `path` is relative to the API's prefix (`/pages/acme`) or an absolute URL taken from a
    response (a `next` or `url` link), which is then signed unchanged.
    """

    def __init__(self, key: str, secret: str) -> None:
        self.key = key
        self.secret = secret
        self.client = Client()

    def url_of(self, path: str) -> str:
        """Return the absolute URL of `path`, percent-encoded as `requests` sends it."""
        return iri_to_uri(path if "://" in path else f"{ORIGIN}{PREFIX}{path}")

    def send(self, method: str, path: str, body: Any = None, *, date: str | None = None,
             signed_url: str | None = None, secret: str | None = None,
             authorization: str | None = None, headers: dict[str, str] | None = None) -> Any:
        """Sign and send a request; the keyword arguments override one part of it."""
        url = self.url_of(path)
        raw = body if isinstance(body, bytes) else (
            b"" if body is None else json.dumps(body).encode())
        date = exoscale_date() if date is None else date
        digest = signature(secret or self.secret, signed_url or url, date, raw)
        sent_headers = {
            "Exoscale-Date": date,
            "Authorization": authorization or f"Exoscale-HMAC-SHA256 {self.key}:{digest}",
            **(headers or {}),
        }
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.client.generic(method, target, data=raw, content_type="application/json",
                                   headers=sent_headers)

    def get(self, path: str, **options: Any) -> Any:
        return self.send("GET", path, **options)

    def post(self, path: str, body: Any = None, **options: Any) -> Any:
        return self.send("POST", path, body, **options)

    def patch(self, path: str, body: Any = None, **options: Any) -> Any:
        return self.send("PATCH", path, body, **options)

    def delete(self, path: str, **options: Any) -> Any:
        return self.send("DELETE", path, **options)


def follow_all(client: RunstatusClient, path: str) -> tuple[list[dict[str, Any]], int]:
    """Return every result of a list by following its `next` links, and how many requests
    that took."""
    results: list[dict[str, Any]] = []
    url: str | None = path
    requests = 0
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        results.extend(body["results"])
        url = body["next"]
        requests += 1
    return results, requests
