"""The client behind a request, as its headers tell: its address, believing
``X-Forwarded-For`` only from trusted proxies, and how much of the headers that describe
it we keep. Shared by the redirect edge and the API's conversion beacon, which both record
a visitor's address and user agent.
"""

from __future__ import annotations

import functools
import ipaddress

from smartlinks.settings import IPNetwork

# Caps keep one oversized header from making an event Kafka refuses; enrichment reads no
# further than this anyway.
MAX_USER_AGENT = 1024
MAX_REFERER = 2048
MAX_ACCEPT_LANGUAGE = 256


class ClientAddress:
    def __init__(self, trusted_proxies: tuple[IPNetwork, ...]) -> None:
        self.trusted = trusted_proxies
        # Proxies are few and repeat on every request: remember each verdict.
        self.is_trusted = functools.lru_cache(maxsize=4096)(self._is_trusted)

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def resolve(self, peer: str, forwarded_for: str | None) -> str:
        """Walk ``X-Forwarded-For`` from the right, past trusted proxies, to the first
        address that is not one of ours: the leftmost entries are whatever the client said."""
        if not self.trusted or forwarded_for is None or not self.is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if not hop:
                continue
            if not self.is_trusted(hop):
                return hop if _is_ip(hop) else peer
        return hops[0] if hops and _is_ip(hops[0]) else peer


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
