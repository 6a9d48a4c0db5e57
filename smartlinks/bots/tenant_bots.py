"""The bots a tenant marks itself: user-agent substrings and IP networks of its own
monitors and QA (``PATCH /api/v1/settings``: ``bot_user_agents``, ``bot_ip_ranges``).

The consumer keeps every tenant's rules in memory, read from the link store at start and
again for a tenant whenever its settings change (the ``tenant_updated`` link change, which
every consumer process hears, as every redirector does): a change applies from the next
click the consumer enriches after hearing it. A click is asked about only when the
built-in rules took it for a person, and only for a tenant that has rules: for the others
the cost is one dict lookup.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from schemas.events import LinkChange
from smartlinks.models import Tenant
from smartlinks.store.link_store import LinkStore

TENANT_UA: Final = "tenant_ua"
TENANT_IP: Final = "tenant_ip"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class _Rules:
    needles: tuple[str, ...]  # lowercased
    networks: tuple[Network, ...]
    matches_agent: Callable[[str], bool]


def _rules(tenant: Tenant) -> _Rules | None:
    needles = tuple(needle.lower() for needle in tenant.bot_user_agents if needle.strip())
    networks = []
    for text in tenant.bot_ip_ranges:
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            continue  # the API refuses these; a hand-edited row must not stop the consumer
    if not needles and not networks:
        return None

    # Campaign traffic repeats user agents; a tenant's rules are few, the cache is small.
    @functools.lru_cache(maxsize=4096)
    def matches_agent(user_agent: str) -> bool:
        lowered = user_agent.lower()
        return any(needle in lowered for needle in needles)

    return _Rules(needles, tuple(networks), matches_agent)


class TenantBots:
    """Every tenant's own bot rules, and the reason a click matches them ('' if none)."""

    def __init__(self, store: LinkStore | None = None) -> None:
        self.store = store
        self._by_tenant: dict[str, _Rules] = {}
        self._reloading: asyncio.Task[None] | None = None

    def set(self, tenant: Tenant) -> None:
        rules = _rules(tenant)
        if rules is None:
            self._by_tenant.pop(tenant.id, None)
        else:
            self._by_tenant[tenant.id] = rules

    def reason(self, tenant_id: str, user_agent: str, ip: str) -> str:
        rules = self._by_tenant.get(tenant_id)
        if rules is None:
            return ""
        if rules.needles and rules.matches_agent(user_agent):
            return TENANT_UA
        if rules.networks and ip:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                return ""
            if any(address in network for network in rules.networks):
                return TENANT_IP
        return ""

    # -- keeping them current --------------------------------------------------------------

    async def reload(self) -> None:
        """Every tenant's rules, from the store: at start, and after missing changes."""
        assert self.store is not None
        summaries = await self.store.list_tenants()
        fresh = TenantBots()
        for summary in summaries:
            fresh.set(summary.tenant)
        self._by_tenant = fresh._by_tenant

    def reload_soon(self) -> None:
        """``reload`` in the background: the change listener calls it when it (re)connects,
        as the redirectors clear their caches then, since changes may have been missed."""
        self._reloading = asyncio.get_running_loop().create_task(self.reload())

    async def apply(self, changes: Sequence[LinkChange]) -> None:
        """The link-change subscriber: read again the tenants whose settings changed."""
        assert self.store is not None
        for tenant_id in dict.fromkeys(c.tenant_id for c in changes if c.kind == "tenant_updated"):
            tenant = await self.store.get_tenant(tenant_id)
            if tenant is not None:
                self.set(tenant)
