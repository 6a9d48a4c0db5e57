"""Operator commands on tenants and keys (``smartlinks tenant create``, ``smartlinks
tenant list``, ``smartlinks key create``), run against the link store directly: they are
how a tenant that has lost every key gets back in, since the API itself needs a key."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from smartlinks.models import KeyScope
from smartlinks.settings import Settings
from smartlinks.store import open_store
from smartlinks.store.base import TenantNameTaken, TenantSummary
from smartlinks.store.link_store import LinkStore

OPERATOR_KEY_NAME = "created by smartlinks key create"
FIRST_KEY_NAME = "first key"
MAX_NAME = 200


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


def cmd_key_create(
    settings: Settings, wanted: str, name: str = OPERATOR_KEY_NAME, scope: KeyScope = "full"
) -> int:
    async def create() -> tuple[TenantSummary, str]:
        async with _opened(settings) as store:
            found = find_tenant(await store.list_tenants(), wanted)
            _, key = await store.create_api_key(found.tenant.id, name, scope=scope)
            return found, key

    try:
        found, key = asyncio.run(create())
    except TenantNotFound as exc:
        print(f"smartlinks: {exc}", file=sys.stderr)
        return 2
    tenant = found.tenant
    what = "read-only API key" if scope == "read_only" else "API key"
    print(f"new {what} for tenant {tenant.name!r} ({tenant.id}), shown once:")
    print(key)
    return 0


def cmd_tenant_create(settings: Settings, name: str) -> int:
    """A new tenant and its first key. Names are unique in any case and say something:
    an operator picks a tenant by name (``key create``)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        print(f"smartlinks: a tenant needs a name of 1 to {MAX_NAME} printable characters", file=sys.stderr)
        return 2

    async def create() -> tuple[str, str]:
        async with _opened(settings) as store:
            tenant = await store.create_tenant(name)
            _, key = await store.create_api_key(tenant.id, FIRST_KEY_NAME)
            return tenant.id, key

    try:
        tenant_id, key = asyncio.run(create())
    except TenantNameTaken:
        print(
            f"smartlinks: a tenant named {name!r} exists already (see: smartlinks tenant list)",
            file=sys.stderr,
        )
        return 2
    print(f"tenant {name!r} created with id {tenant_id}; its API key (shown once):")
    print(key)
    return 0


def print_renames(renames: list[tuple[str, str, str]]) -> None:
    """What migration 0012 renamed to make tenant names unique, so nobody is surprised."""
    for tenant_id, old, new in renames:
        print(f"note: tenant {tenant_id} was renamed from {old!r} to {new!r}: tenant names are unique")


def cmd_tenant_list(settings: Settings) -> int:
    async def select() -> tuple[list[TenantSummary], list[tuple[str, str, str]]]:
        async with _opened(settings) as store:
            return await store.list_tenants(), await store.tenant_renames()

    tenants, renames = asyncio.run(select())
    print(f"{'ID':<32}  {'CREATED (UTC)':<16}  {'LINKS':>7}  {'ACTIVE KEYS':>11}  NAME")
    for summary in tenants:
        tenant = summary.tenant
        created = tenant.created_at.strftime("%Y-%m-%d %H:%M")
        print(f"{tenant.id:<32}  {created:<16}  {summary.links:>7}  {summary.active_keys:>11}  {tenant.name}")
    print_renames(renames)
    return 0
