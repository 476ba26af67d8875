"""Outgoing HTTP requests to addresses that users give us, such as webhook URLs.

A user-supplied URL must not make the server reach itself, its private network or a cloud
metadata service. `GuardedTransport` resolves the host itself and rejects the request before
connecting unless every resolved address is a public one. It then connects to the vetted
address, so a second DNS answer cannot swap it, and keeps the `Host` header and the TLS server
name (SNI and certificate check) of the original host. `guarded_client()` wraps it in an httpx
client that follows at most `MAX_REDIRECTS` redirects, and every hop passes the transport, so
each one is checked again.

Rejected: schemes other than http and https, user names and passwords in the URL, numeric
hosts other than canonical dotted-quad IPv4 or IPv6 (`2130706433`, `0x7f.1`, `0177.0.0.1`,
`127.1`), and the addresses that `ip_address.is_global` calls non-global (loopback, private,
link-local, shared/CGNAT, unique-local, reserved, documentation) together with multicast,
the unspecified address and IPv6 site-local addresses. An IPv6 address that embeds an IPv4
one (IPv4-mapped, IPv4-compatible, IPv4-translated, 6to4, NAT64, Teredo) is judged by the
embedded address too. HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS lists networks that are exempt.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

MAX_REDIRECTS = 5
SCHEMES = ("http", "https")
DEFAULT_TIMEOUT = httpx.Timeout(10.0)

# Cloud metadata services. All of them are also non-global, so this list only names them in
# the error message.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(text) for text in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
    "169.254.170.2",  # AWS ECS task metadata
    "100.100.100.200",  # Alibaba Cloud
    "fd00:ec2::254",  # AWS over IPv6
))
# NAT64 prefixes: the well-known one and the local-use one (RFC 6052, RFC 8215).
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# IPv4-translated addresses of stateless IP/ICMP translation (SIIT, RFC 2765).
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
# A host whose last label is a number: glibc's resolver reads these as IPv4 addresses.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


class OutboundRejected(httpx.RequestError):
    """A request that the guard stopped before any connection was made."""


def parse_networks(values: Iterable[str], *, name: str) -> list[IPNetwork]:
    """Parse CIDR strings such as `10.0.0.0/8`; raise ValueError naming `name` on a bad one."""
    networks: list[IPNetwork] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not a network: give CIDRs such as "
                             f"10.0.0.0/8 or fd00::/8, separated by commas.") from None
    return networks


def allowed_networks() -> list[IPNetwork]:
    """Return the networks of HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS (validated at start-up)."""
    values = getattr(settings, "HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS", [])
    return parse_networks(values, name="HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address that an IPv6 address carries, if it is one of the known forms."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if (any(address in prefix for prefix in _NAT64) or address in _IPV4_COMPATIBLE
            or address in _IPV4_TRANSLATED):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def rejection(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """Return why `address` may not be reached, or None when it may."""
    if any(address.version == network.version and address in network for network in allowed):
        return None
    inner = embedded_ipv4(address)
    if inner is not None:
        if any(inner in network for network in allowed if network.version == 4):
            return None
        reason = rejection(inner)
        if reason is not None:
            return f"{address} carries the IPv4 address {inner}, and {reason}"
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if not address.is_global:
        return f"{address} is a private or reserved address"
    # Python 3.11 counts these IPv6 ranges as global: site-local (fec0::/10, deprecated but
    # still routed inside some networks) and the ranges that IANA reserves outside 2000::/3.
    if isinstance(address, ipaddress.IPv6Address) and inner is None and (
            address.is_site_local or address.is_reserved):
        return f"{address} is a private or reserved address"
    return None


def check_url(url: httpx.URL | str) -> httpx.URL:
    """Return `url` parsed; raise OutboundRejected when its form is not allowed.

    The form is checked before any DNS lookup: the scheme, user information, and numeric
    spellings of IPv4 addresses that resolvers accept but `ipaddress` does not.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise OutboundRejected(f"invalid URL: {error}") from None
    if parsed.scheme not in SCHEMES:
        raise OutboundRejected(f"the scheme {parsed.scheme!r} is not allowed: use http or https")
    if parsed.userinfo:
        raise OutboundRejected("a user name or password in the URL is not allowed")
    host = parsed.host
    if not host:
        raise OutboundRejected("the URL has no host")
    if literal_address(host) is None:
        last_label = host.rstrip(".").rsplit(".", 1)[-1]
        if _NUMERIC_LABEL.fullmatch(last_label):
            raise OutboundRejected(f"the host {host!r} is a non-canonical IP address spelling")
    return parsed


def literal_address(host: str) -> IPAddress | None:
    """Return the address that `host` spells in canonical form, or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def system_resolver(host: str, port: int) -> list[str]:
    """Return every address that the system resolver gives for `host`."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def vet_host(host: str, port: int, *, resolver: Resolver,
             allowed: Sequence[IPNetwork]) -> IPAddress:
    """Resolve `host` and return the address to connect to; raise OutboundRejected if any is bad.

    Every resolved address must pass, not only the first, so a name cannot mix a public
    address with a private one.
    """
    literal = literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            texts = resolver(host, port)
        except OSError as error:
            raise httpx.ConnectError(f"could not resolve {host!r}: {error}") from None
        # A scope suffix (fe80::1%eth0) only appears on link-local addresses, which are rejected.
        addresses = [ipaddress.ip_address(text.split("%", 1)[0]) for text in texts]
        if not addresses:
            raise httpx.ConnectError(f"{host!r} has no address")
    for address in addresses:
        reason = rejection(address, allowed)
        if reason is not None:
            raise OutboundRejected(f"{host} is not reachable from here: {reason}")
    return addresses[0]


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that connects only to vetted addresses, by address.

    `resolver` (host, port) -> addresses defaults to the system resolver; tests pass a stub.
    `allowed` defaults to HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS, read when the transport is made.
    """

    def __init__(self, *, resolver: Resolver | None = None,
                 allowed: Sequence[IPNetwork] | None = None,
                 inner: httpx.BaseTransport | None = None) -> None:
        self.resolver = resolver or system_resolver
        self.allowed = list(allowed_networks() if allowed is None else allowed)
        # No keep-alive: a pooled connection is keyed by address, so reusing it for another
        # host name on the same address would skip that name's TLS check.
        self.inner = inner or httpx.HTTPTransport(
            retries=0, limits=httpx.Limits(max_keepalive_connections=0))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = check_url(request.url)
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        address = vet_host(host, port, resolver=self.resolver, allowed=self.allowed)
        # Connect to the vetted address. The Host header keeps the original name (httpx set
        # it from the original URL), and so does TLS through the sni_hostname extension, which
        # httpcore also uses for the certificate's host name check.
        extensions = dict(request.extensions)
        if url.scheme == "https" and literal_address(host) is None:
            extensions["sni_hostname"] = host
        by_address = httpx.Request(request.method, url.copy_with(host=str(address)),
                                   headers=request.headers, stream=request.stream,
                                   extensions=extensions)
        response = self.inner.handle_request(by_address)
        # The client reads redirects and cookies from the request with the name.
        response.request = request
        return response

    def close(self) -> None:
        self.inner.close()


def guarded_client(*, resolver: Resolver | None = None,
                   allowed: Sequence[IPNetwork] | None = None,
                   timeout: httpx.Timeout = DEFAULT_TIMEOUT, **options: Any) -> httpx.Client:
    """Return an httpx client whose every request, redirects included, passes the guard.

    Proxies from the environment are ignored (`trust_env=False`): a proxy would make the
    connection on our behalf to whichever address it resolves.
    """
    transport = GuardedTransport(resolver=resolver, allowed=allowed)
    return httpx.Client(transport=transport, follow_redirects=True,
                        max_redirects=MAX_REDIRECTS, trust_env=False, timeout=timeout,
                        **options)
