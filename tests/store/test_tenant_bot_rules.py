"""A tenant's own bot rules: kept by both engines, and read by the consumer at start and
again when the tenant's settings change."""

from __future__ import annotations

import pytest

from schemas.events import LinkChange
from smartlinks.bots.tenant_bots import TenantBots
from smartlinks.models import Tenant, TenantPatch
from smartlinks.store.link_store import LinkStore

pytestmark = pytest.mark.anyio

MONITOR = "AcmeMonitor/2.1 (+https://status.acme.example)"


async def test_bot_rules_round_trip(store: LinkStore, tenant: Tenant) -> None:
    assert (tenant.bot_user_agents, tenant.bot_ip_ranges) == ((), ())
    patch = TenantPatch(bot_user_agents=("AcmeMonitor/", "qa runner"), bot_ip_ranges=("203.0.113.0/24",))
    changed = await store.update_tenant(tenant.id, patch)
    assert changed.bot_user_agents == ("AcmeMonitor/", "qa runner")
    read = await store.get_tenant(tenant.id)
    assert read is not None
    assert (read.bot_user_agents, read.bot_ip_ranges) == (("AcmeMonitor/", "qa runner"), ("203.0.113.0/24",))
    # Other settings stay as they were.
    assert read.collect_metadata is True and read.click_id_param == tenant.click_id_param
    cleared = await store.update_tenant(tenant.id, TenantPatch(bot_user_agents=()))
    assert (cleared.bot_user_agents, cleared.bot_ip_ranges) == ((), ("203.0.113.0/24",))


async def test_the_consumer_reads_them_at_start_and_on_change(store: LinkStore, tenant: Tenant) -> None:
    other = await store.create_tenant("other")
    await store.update_tenant(tenant.id, TenantPatch(bot_ip_ranges=("203.0.113.0/24",)))
    bots = TenantBots(store)
    await bots.reload()
    assert bots.reason(tenant.id, MONITOR, "203.0.113.9") == "tenant_ip"
    assert bots.reason(tenant.id, MONITOR, "198.51.100.1") == ""
    assert bots.reason(other.id, MONITOR, "203.0.113.9") == ""

    await store.update_tenant(tenant.id, TenantPatch(bot_user_agents=("acmemonitor/",)))
    assert bots.reason(tenant.id, MONITOR, "198.51.100.1") == ""  # not heard of yet
    await bots.apply([LinkChange("tenant_updated", tenant.id, "", "", 0)])
    assert bots.reason(tenant.id, MONITOR, "198.51.100.1") == "tenant_ua"

    await store.update_tenant(tenant.id, TenantPatch(bot_user_agents=(), bot_ip_ranges=()))
    await bots.apply([LinkChange("updated", tenant.id, "l1", "abcd", 0)])  # not a settings change
    assert bots.reason(tenant.id, MONITOR, "198.51.100.1") == "tenant_ua"
    await bots.apply([LinkChange("tenant_updated", tenant.id, "", "", 0)])
    assert bots.reason(tenant.id, MONITOR, "203.0.113.9") == ""
