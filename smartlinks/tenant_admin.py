"""Operator commands on tenants and keys (``smartlinks tenant list``, ``smartlinks key
create``), run against the link store directly: they are how a tenant that has lost
every key gets back in, since the API itself needs a key."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from smartlinks.settings import Settings
from smartlinks.store import open_store
from smartlinks.store.base import TenantSummary
from smartlinks.store.link_store import LinkStore

OPERATOR_KEY_NAME = "created by smartlinks key create"


class TenantNotFound(LookupError):
    pass


@asynccontextmanager
async def _opened(settings: Settings) -> AsyncIterator[LinkStore]:
    store = open_store(settings)
    await store.open()  # applies pending migrations
    try:
        yield store
    finally:
        await store.close()


def find_tenant(tenants: list[TenantSummary], wanted: str) -> TenantSummary:
    """The tenant whose id is ``wanted``, else the one so named; a name two tenants share
    is refused, so a key never goes to a tenant the operator did not mean."""
    by_id = [summary for summary in tenants if summary.tenant.id == wanted]
    named = by_id or [summary for summary in tenants if summary.tenant.name == wanted]
    if not named:
        raise TenantNotFound(f"no tenant has the id or name {wanted!r} (see: smartlinks tenant list)")
    if len(named) > 1:
        ids = ", ".join(summary.tenant.id for summary in named)
        raise TenantNotFound(f"{len(named)} tenants are named {wanted!r}; give one of their ids: {ids}")
    return named[0]


def cmd_key_create(settings: Settings, wanted: str, name: str = OPERATOR_KEY_NAME) -> int:
    async def create() -> tuple[TenantSummary, str]:
        async with _opened(settings) as store:
            found = find_tenant(await store.list_tenants(), wanted)
            _, key = await store.create_api_key(found.tenant.id, name)
            return found, key

    try:
        found, key = asyncio.run(create())
    except TenantNotFound as exc:
        print(f"smartlinks: {exc}", file=sys.stderr)
        return 2
    tenant = found.tenant
    print(f"new API key for tenant {tenant.name!r} ({tenant.id}), shown once:")
    print(key)
    return 0


def cmd_tenant_list(settings: Settings) -> int:
    async def select() -> list[TenantSummary]:
        async with _opened(settings) as store:
            return await store.list_tenants()

    print(f"{'ID':<32}  {'ACTIVE KEYS':>11}  NAME")
    for summary in asyncio.run(select()):
        print(f"{summary.tenant.id:<32}  {summary.active_keys:>11}  {summary.tenant.name}")
    return 0
