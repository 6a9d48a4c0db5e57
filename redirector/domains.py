"""The tenants' own domains as the redirect edge knows them: which hosts it answers from
their links, and where each host's unknown codes go.

Read from the store once at start and again whenever a ``domain_changed`` change arrives
(in process, or over Kafka) or the change feed reconnects (changes may have been missed),
never per request: a redirect only looks its Host header up in ``hosts``, and not even
that while no tenant has a domain.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from schemas.events import LinkChange
from smartlinks.models import Domain
from smartlinks.urls import to_header_url

log = logging.getLogger(__name__)

Loader = Callable[[], Awaitable[Sequence[Domain]]]


class KnownDomains:
    def __init__(self, load: Loader | None = None) -> None:
        self._load = load
        # host (lower case, no port) -> the Location of its unknown codes, or None (404 page).
        # Replaced whole, never changed in place: a redirect reads one consistent dict.
        self.hosts: dict[str, bytes | None] = {}
        self._refreshing: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        if self._load is None:
            return
        found = await self._load()
        self.hosts = {
            domain.host: None
            if domain.not_found_url is None
            else to_header_url(domain.not_found_url).encode()
            for domain in found
        }

    async def apply(self, changes: Sequence[LinkChange]) -> None:
        """Read the domains again if ``changes`` add, change or remove one."""
        if any(change.kind == "domain_changed" for change in changes):
            await self.refresh()

    def refresh_soon(self) -> None:
        """Read them again in the background (the feed reconnected: changes may be lost)."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._refresh_logged())

    async def _refresh_logged(self) -> None:
        try:
            await self.refresh()
        except Exception:
            log.exception("reading the domains failed; the next domain change reads them again")


def host_of(headers: Sequence[tuple[bytes, bytes]]) -> str:
    """The request's Host, lower-cased, without port or final dot ('' without one)."""
    for name, value in headers:
        if name == b"host":
            return value.split(b":", 1)[0].rstrip(b".").lower().decode("latin-1")
    return ""
