"""Where the service may send requests on a tenant's behalf (webhook URLs): not into its
own network.

A URL is judged by the addresses its host resolves to, never by how the host is
spelled: ``localhost``, ``2130706433``, ``[::ffff:127.0.0.1]`` and a public name that
resolves to 10.0.0.5 are all refused. Addresses that tunnel IPv4 inside IPv6
(IPv4-mapped, 6to4, Teredo, NAT64) are judged by the IPv4 address they carry.

The API checks a URL when it is saved; the delivery worker checks it again before each
attempt and connects to the very address it checked (``Target``), so a DNS answer that
changes between the check and the connection (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT = 5.0
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
# Not global, yet not flagged by every Python's is_private: carrier-grade NAT (RFC 6598).
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class InvalidTarget(ValueError):
    """The URL cannot be a webhook URL at all (scheme, credentials, host that does not resolve)."""


class ForbiddenTarget(ValueError):
    """The URL's host resolves to an address of a private, loopback or other non-public network."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL, pinned to one address: request ``url`` (the address in place of the
    host) with ``host_header``, and verify TLS against ``hostname``."""

    url: str
    host_header: str
    hostname: str
    address: str


def forbidden(address: IPAddress) -> bool:
    """Whether ``address`` is anything but a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return forbidden(embedded)
    if address.is_multicast or address.is_unspecified or address.is_loopback or address.is_link_local:
        return True
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return True
    return address.is_private or address.is_reserved or not address.is_global


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # (server, client): the client is where packets end up
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def parse(url: str) -> tuple[str, str, int]:
    """Check a URL's form; return (scheme, host, port). Raises ``InvalidTarget``."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise InvalidTarget(f"the URL must be 1 to {MAX_URL_LENGTH} characters")
    if _CONTROL.search(url):
        raise InvalidTarget("the URL must not contain spaces, backslashes or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidTarget("the URL is not valid") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidTarget("the URL must use http or https")
    if "@" in parts.netloc:
        raise InvalidTarget("the URL must not contain a user name or password")
    if parts.fragment:
        raise InvalidTarget("the URL must not have a #fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host or ".." in host or host.startswith("."):
        raise InvalidTarget("the URL must name a host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise InvalidTarget("the URL's host name is not valid") from None
    return scheme, host, port or (443 if scheme == "https" else 80)


class Resolver:
    """``getaddrinfo`` off the event loop, with answers kept for a few seconds: a burst of
    deliveries to one endpoint resolves its name once, not once per attempt."""

    def __init__(self, ttl: float = 10.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._cache: dict[tuple[str, int], tuple[float, list[IPAddress]]] = {}

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        now = time.monotonic()
        cached = self._cache.get((host, port))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            infos = await asyncio.wait_for(
                asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT
            )
        except (OSError, UnicodeError, TimeoutError) as exc:
            raise InvalidTarget(f"the host {host!r} does not resolve") from exc
        addresses: list[IPAddress] = []
        for *_, sockaddr in infos:
            # Drop an IPv6 scope ("fe80::1%eth0"); the address alone decides.
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise InvalidTarget(f"the host {host!r} does not resolve")
        if len(self._cache) >= self.size:
            self._cache.clear()
        self._cache[(host, port)] = (now + self.ttl, addresses)
        return addresses


async def check(url: str, allow_private: bool, resolver: Resolver | None = None) -> list[Target]:
    """The URL pinned to each address its host resolves to, in the resolver's order.

    Raises ``InvalidTarget`` for a malformed URL or a host that does not resolve, and
    ``ForbiddenTarget`` if any address is not public (unless ``allow_private``): a name
    that resolves to a public and a private address is refused, whichever a client
    would pick.
    """
    scheme, host, port = parse(url)
    addresses = await (resolver or Resolver(ttl=0)).resolve(host, port)
    if not allow_private:
        for address in addresses:
            if forbidden(address):
                raise ForbiddenTarget(
                    f"the host {host!r} resolves to {address}, which is not a public address"
                )
    parts = urlsplit(url)
    default_port = port == (443 if scheme == "https" else 80)
    host_header = _bracketed(host) + ("" if default_port else f":{port}")
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return [
        Target(f"{scheme}://{_bracketed(str(address))}:{port}{path}{query}", host_header, host, str(address))
        for address in addresses
    ]


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
