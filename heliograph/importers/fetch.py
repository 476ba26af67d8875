"""Fetch JSON documents over HTTP for the importers, with one-line errors naming the URL.

Only `http` and `https` addresses are fetched. Before every connection, redirects included, the
host name is resolved and each of its addresses checked. Link-local addresses are rejected
without connecting, because clouds publish servers' credentials at one of them,
169.254.169.254. So are the other cloud metadata addresses, and unspecified, multicast and
reserved ones. The request then goes to the address that was checked, so a second DNS answer
cannot change it. Loopback and private addresses are allowed, because a Cachet installation is
often internal.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import time
from typing import Any

import httpx

from heliograph.importers.reading import MAX_BYTES, parse_json
from heliograph.importers.records import InputError

TIMEOUT_SECONDS = 30.0
# The maximum time one response may take in all, so that a server sending a byte now and then
# cannot stall an import forever.
TOTAL_SECONDS = 120.0
MAX_REDIRECTS = 5
USER_AGENT = "heliograph-import"
SCHEMES = ("http", "https")
# Metadata services of cloud providers that are not link-local: AWS's IPv6 address and Alibaba
# Cloud's (in the shared address space 100.64.0.0/10).
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("fd00:ec2::254"),
                                ipaddress.ip_address("100.100.100.200")})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_url(text: str) -> bool:
    """Return whether `text` is an address with a scheme (`https://`, `file://`), not a path."""
    return _SCHEME.match(text) is not None


def check_scheme(text: str) -> None:
    """Raise InputError unless the address `text` is http:// or https://."""
    scheme = text.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        hint = " To read a file, give its path without file://." if scheme == "file" else ""
        raise InputError(f"{text}: {scheme}:// addresses are not supported: give an http:// or "
                         f"https:// address.{hint}")


def forbidden_reason(address: Address) -> str | None:
    """Return why the importer does not connect to `address`, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address (the range of the cloud metadata address 169.254.169.254)"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "an unspecified, multicast or reserved address"
    return None


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def resolve(url: httpx.URL, where: str) -> list[Address]:
    """Return the addresses of the URL's host, all checked; raise InputError for a bad one."""
    if url.scheme not in SCHEMES:
        raise InputError(f"{where}: {url.scheme}:// addresses are not supported: give an "
                         "http:// or https:// address.")
    if not url.host:
        raise InputError(f"{where}: the address has no host name: give one such as "
                         "https://status.example.com.")
    try:
        found = socket.getaddrinfo(url.host, _port(url), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise InputError(f"{where}: the host name {url.host!r} cannot be resolved "
                         f"({error}): check the address.") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(item[4][0]).split("%")[0])
                                   for item in found))
    for address in addresses:
        reason = forbidden_reason(address)
        if reason is None:
            continue
        named = (f"{url.host} is" if _is_literal(url.host, address)
                 else f"{url.host} resolves to {address},")
        raise InputError(f"{where}: {named} {reason}, which the importer does not connect to.")
    return addresses


def _is_literal(host: str, address: Address) -> bool:
    try:
        return ipaddress.ip_address(host) == address
    except ValueError:
        return False


class Fetcher:
    """An HTTP client for one import run."""

    def __init__(self, *, timeout: float = TIMEOUT_SECONDS,
                 total_timeout: float = TOTAL_SECONDS,
                 verify: ssl.SSLContext | bool = True) -> None:
        """Set up the client.

        `timeout` limits each connect and read, and `total_timeout` each response, in seconds.
        `verify` is httpx's TLS setting: by default the certifi CA bundle, or the file that
        SSL_CERT_FILE names.
        """
        self.timeout = timeout
        self.total_timeout = total_timeout
        # Redirects are followed here, one checked hop at a time.
        self.client = httpx.Client(
            timeout=timeout, follow_redirects=False, verify=verify,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def close(self) -> None:
        self.client.close()

    def get_json(self, url: str, *, missing_ok: bool = False) -> Any | None:
        """Return the parsed JSON at `url`; None for a 404 when `missing_ok`."""
        try:
            current = httpx.URL(url)
        except httpx.InvalidURL as error:
            raise InputError(f"{url}: not a valid address ({error}).") from None
        where = url
        for _ in range(MAX_REDIRECTS + 1):
            status, location, content_type, body = self._get(current, where)
            if location is None:
                break
            try:
                current = current.join(location)
            except httpx.InvalidURL as error:
                raise InputError(f"{where}: the redirect goes to an invalid address "
                                 f"({error}).") from None
            where = f"{url} (redirected to {location if is_url(location) else current})"
        else:
            raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects: check the address.")

        if status == 404 and missing_ok:
            return None
        if status != 200:
            raise InputError(f"{where}: the server responded with HTTP {status} "
                             f"{httpx.codes.get_reason_phrase(status)}: check the address.")
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InputError(f"{where}: the response is not UTF-8 ({error.reason}).") from None
        try:
            return parse_json(text, where)
        except InputError:
            if "html" in content_type or text.lstrip()[:1] == "<":
                raise InputError(f"{where}: the response is an HTML page, not JSON: check the "
                                 "address.") from None
            raise

    def _get(self, url: httpx.URL, where: str) -> tuple[int, str | None, str, bytes]:
        """Send one GET to a checked address of `url`'s host.

        Return the status, the redirect target (None unless the response is a redirect), the
        content type and the body.
        """
        addresses = resolve(url, where)
        deadline = time.monotonic() + self.total_timeout
        for index, address in enumerate(addresses):
            try:
                return self._get_from(url, address, where, deadline)
            except httpx.ConnectError as error:
                if index == len(addresses) - 1:
                    raise InputError(f"{where}: the request failed: "
                                     f"{_sentence(error)}.") from None
            except httpx.TimeoutException:
                raise InputError(
                    f"{where}: timed out after {self.timeout:g} seconds: check the address "
                    "or try again later.") from None
            except httpx.HTTPError as error:
                raise InputError(f"{where}: the request failed: {_sentence(error)}.") from None
        raise AssertionError("resolve() returns at least one address")

    def _get_from(self, url: httpx.URL, address: Address, where: str,
                  deadline: float) -> tuple[int, str | None, str, bytes]:
        # The request names the host as usual (Host header, TLS server name and certificate
        # check) but connects to the address that was checked.
        pinned = url.copy_with(host=str(address))
        headers = {"Host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        request = self.client.build_request("GET", pinned, headers=headers,
                                            extensions=extensions)
        # NOTE: the total deadline is checked as the body arrives. A server that sends its
        # status line and headers a byte at a time is limited only by the timeout of each read.
        response = self.client.send(request, stream=True)
        try:
            if response.is_redirect:
                return response.status_code, response.headers["location"], "", b""
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_BYTES:
                    raise InputError(f"{where}: the response is larger than "
                                     f"{MAX_BYTES // 1024 // 1024} MB.")
                if time.monotonic() > deadline:
                    raise InputError(f"{where}: the response took longer than "
                                     f"{self.total_timeout:g} seconds: try again later.")
            content_type = response.headers.get("content-type", "").lower()
            return response.status_code, None, content_type, bytes(body)
        finally:
            response.close()


def _sentence(error: Exception) -> str:
    """Return an exception's message without the full stop the caller's message adds."""
    return str(error).rstrip(".") or type(error).__name__
