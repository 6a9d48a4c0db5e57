"""Where the service itself answers: the public URL's host and every tenant's own domains.

A link whose destination is one of them would send its visitors back to us (a redirect
loop, or a chain of short links that counts each visit twice), so the API refuses such
destinations (api/link_input.py) and message rewriting leaves such URLs alone.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from smartlinks.models import Domain
from smartlinks.urls import display_host

_DEFAULT_PORTS = {"http": 80, "https": 443}
# A public URL on this machine (the default, http://127.0.0.1:8080) shares its host with
# whatever else runs here: there only the same port is the service.
_LOCAL = frozenset({"127.0.0.1", "localhost", "::1"})


def _host_and_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    # In ASCII, as domains are kept: an IDN destination names its domain's xn-- form.
    host = display_host(url).rstrip(".").lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        port = None
    return host, port


@dataclass(frozen=True, slots=True)
class ServiceOrigins:
    public_host: str
    public_port: int | None
    domains: frozenset[str]

    def covers(self, url: str) -> bool:
        """Whether ``url`` (a checked destination) leads to this service."""
        host, port = _host_and_port(url)
        if host in self.domains:
            return True
        if host != self.public_host:
            return False
        return host not in _LOCAL or port == self.public_port


class ServiceHosts:
    def __init__(
        self,
        base_url: str,
        every_domain: Callable[[], Awaitable[Sequence[Domain]]],
        fresh_for: float = 0.0,
    ) -> None:
        """``fresh_for``: seconds the domains read are trusted. A link write pays one small
        read anyway (0); message rewriting, a hot path of its own (a campaign sends one
        message per recipient), reads at most once a second, as a domain is added long
        before its links are sent."""
        self._public = _host_and_port(base_url)
        self._every_domain = every_domain
        self._fresh_for = fresh_for
        self._kept: tuple[float, ServiceOrigins] | None = None

    async def current(self) -> ServiceOrigins:
        now = time.monotonic()
        if self._kept is None or self._kept[0] <= now:
            domains = frozenset(domain.host for domain in await self._every_domain())
            self._kept = (now + self._fresh_for, ServiceOrigins(*self._public, domains))
        return self._kept[1]
