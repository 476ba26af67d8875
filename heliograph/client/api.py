"""HTTP calls to the management API, with each failure turned into a `ClientError`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack
from importlib import metadata
from typing import Any, Protocol

import httpx

from heliograph.client.config import API_PREFIX
from heliograph.client.errors import (
    AuthProblem,
    ClientError,
    InvalidInput,
    NetworkProblem,
    NotFound,
    Rejected,
    ServerFailure,
)

# Seconds to wait for the connection, and then for each read of the response.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
# The largest page the API returns; walks use it to need the fewest requests.
MAX_PAGE_SIZE = 200


# Next steps for the rule violations whose server message gives none.
RULE_HINTS = {
    "incident_already_closed": "If the problem is back, open a new incident with `heliograph "
                               "incident open`.",
    "incident_closed": "If the problem is back, open a new incident with `heliograph incident "
                       "open`.",
    "maintenance_already_completed": "Schedule a new one with `heliograph maintenance "
                                     "schedule`.",
    "maintenance_completed": "Schedule a new one with `heliograph maintenance schedule`.",
    "maintenance_started": "Post the update without --status scheduled.",
}


class Progress(Protocol):
    def advance(self, count: int) -> None: ...


ProgressFactory = Callable[[str, int | None], AbstractContextManager[Progress]]


def user_agent() -> str:
    try:
        version = metadata.version("heliograph")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"heliograph-cli/{version} httpx/{httpx.__version__}"


class Api:
    """A client of one server with one token.

    Every method raises a `ClientError` subclass on failure: `NetworkProblem` when the server
    cannot be reached, and otherwise the class that matches the response's status.
    """

    def __init__(self, url: str, token: str, *,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        self.client = httpx.Client(
            base_url=url + API_PREFIX,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                     "User-Agent": user_agent()},
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            # A redirect would either drop the token (another host) or hide a wrong URL.
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, path: str, *, what: str,
                params: Mapping[str, Any] | None = None, body: Any = None,
                options: Mapping[str, str] | None = None) -> Any:
        """Send one request and return the decoded JSON body (None for 204 No Content).

        `what` names the object for a 404 message ("incident 12 on page acme"). `options`
        maps the API's field names to the command's options, so that an error about
        `starts_at` names `--start`.
        """
        try:
            response = self.client.request(method, path, params=params, json=body)
        except httpx.ConnectTimeout:
            raise NetworkProblem(
                f"Connecting to {self.url} timed out after {CONNECT_TIMEOUT:g} seconds. Check "
                "the address and the network, or try again.") from None
        except httpx.TimeoutException:
            raise NetworkProblem(
                f"{self.url} timed out: no response within {READ_TIMEOUT:g} seconds. Check "
                "that the server is up, or try again.") from None
        except httpx.TransportError as error:
            raise NetworkProblem(
                f"Cannot reach {self.url} ({describe_transport_error(error)}): check that the "
                "server is running and that HELIOGRAPH_URL or `heliograph login` points at "
                "it.") from None
        if response.status_code == 204:
            return None
        data = self._json(response)
        if response.is_success:
            return data
        if response.status_code < 500 and not _is_api_error(data):
            # Another service at that address, such as the Runstatus API under /runstatus,
            # whose 404 would otherwise read as a missing page or incident.
            raise ServerFailure(
                f"{self.url} returned HTTP {response.status_code} with JSON that is not an "
                "error of the Heliograph API: check the URL given to `heliograph login` or in "
                "HELIOGRAPH_URL.")
        raise error_for(response, data, what=what, options=options or {})

    def get(self, path: str, *, what: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, what=what, params=params)

    def walk(self, path: str, *, what: str, noun: str, params: Mapping[str, Any] | None = None,
             limit: int | None = None,
             progress: ProgressFactory | None = None) -> Iterator[dict[str, Any]]:
        """Yield the items of a list, following `next_cursor` until the end or `limit` items.

        `progress(noun, total)` opens a progress display; it is opened only when a second
        request is needed, so that short lists show none.
        """
        query = dict(params or {})
        returned = 0
        seen_cursors: set[str] = set()
        reporter: Progress | None = None
        with ExitStack() as stack:
            while True:
                size = MAX_PAGE_SIZE if limit is None else min(MAX_PAGE_SIZE, limit - returned)
                query["limit"] = size
                body = self.get(path, what=what, params=query)
                items = body.get("items") if isinstance(body, dict) else None
                if not isinstance(items, list):
                    raise ServerFailure(f"{self.url} returned {path} without an item list: is "
                                        "it a Heliograph server of the same version?")
                yield from items
                returned += len(items)
                cursor = body.get("next_cursor")
                if not cursor or (limit is not None and returned >= limit):
                    return
                if not isinstance(cursor, str) or cursor in seen_cursors:
                    raise ServerFailure(f"{self.url} returned {path} with a next_cursor that "
                                        "repeats an earlier one, so the list would never end: "
                                        "is it a Heliograph server of the same version?")
                seen_cursors.add(cursor)
                if reporter is not None:
                    reporter.advance(len(items))
                elif progress is not None:
                    reporter = stack.enter_context(progress(noun, limit))
                    reporter.advance(returned)
                query["cursor"] = cursor

    def _json(self, response: httpx.Response) -> Any:
        if 300 <= response.status_code < 400:
            target = response.headers.get("Location", "another address")
            raise ServerFailure(
                f"{self.url} redirected the request to {target}: run `heliograph login` with "
                "the server's final address (for example https:// instead of http://).")
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise ServerFailure(
                f"{self.url} returned HTTP {response.status_code} with {kind}, not the JSON of "
                "the Heliograph API: check the URL given to `heliograph login` or in "
                "HELIOGRAPH_URL.") from None


def _is_api_error(data: Any) -> bool:
    """Return whether `data` has the shape of the API's errors: a `code` and a `message`."""
    return (isinstance(data, dict) and isinstance(data.get("code"), str)
            and isinstance(data.get("message"), str))


def describe_transport_error(error: httpx.TransportError) -> str:
    """Return the innermost cause of a transport error, such as "Connection refused"."""
    cause: BaseException = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = getattr(cause, "strerror", None) or str(cause) or str(error)
    return text or type(error).__name__


def error_for(response: httpx.Response, data: Any, *, what: str,
              options: Mapping[str, str]) -> ClientError:
    """Return the client error for an API error response, worded with the server's message."""
    status = response.status_code
    body = data if isinstance(data, dict) else {}
    code = str(body.get("code") or "")
    field = body.get("field") if isinstance(body.get("field"), str) else None
    message = str(body.get("message") or f"HTTP {status}").strip()
    if field and message.startswith(f"{field}: "):
        message = message.removeprefix(f"{field}: ")
    tag = f" (HTTP {status}{', ' + code if code else ''})"

    if status == 401:
        return AuthProblem("The server rejected the token" + tag + ": it is wrong, revoked, or "
                           "its user was deactivated. Run `heliograph login` with a valid token, "
                           "or fix HELIOGRAPH_TOKEN.")
    if status == 403:
        return AuthProblem(f"Not allowed: {message}{tag}")
    if status == 404:
        return NotFound(f"{what[:1].upper()}{what[1:]} was not found, or this token may not "
                        f"see it{tag}.")
    named = _name_field(field, options)
    if status == 409:
        hint = RULE_HINTS.get(code)
        return Rejected(f"{named}{message}{tag}" + (f" {hint}" if hint else ""))
    if status in {400, 413, 422}:
        return InvalidInput(f"{named}{message}{tag}")
    if status >= 500:
        return ServerFailure(f"The server failed: {message}{tag}. Try again; if it fails "
                             "again, the server's log has the details.")
    return ServerFailure(f"Unexpected answer from the server: {message}{tag}.")


def _name_field(field: str | None, options: Mapping[str, str]) -> str:
    if not field:
        return ""
    option = options.get(field) or options.get(field.split(".")[0])
    return f"{option} ({field}): " if option else f"{field}: "
