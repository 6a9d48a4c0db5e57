"""Bots a tenant marks itself: they count from the next click on, only for that tenant,
with their own reason, and never make a bot of the built-in verdicts into something else."""

from __future__ import annotations

from consumer.enrich import Enricher, GeoLocator
from smartlinks.bots.bots import BotDetector
from smartlinks.bots.tenant_bots import TenantBots
from smartlinks.models import Tenant, from_ms
from tests.consumer.conftest import CHROME, KEY, MakeEvent

QA = CHROME + " AcmeQA/1.0"


def tenant(tenant_id: str, agents: tuple[str, ...] = (), ranges: tuple[str, ...] = ()) -> Tenant:
    return Tenant(tenant_id, "t", True, from_ms(0), bot_user_agents=agents, bot_ip_ranges=ranges)


def test_user_agent_substrings_are_case_insensitive_and_per_tenant() -> None:
    bots = TenantBots()
    bots.set(tenant("t1", agents=("acmeqa/",)))
    detector = BotDetector(tenants=bots)
    assert detector.verdict("GET", QA, "t1", "198.51.100.1") == ("tenant", "tenant_ua")
    assert detector.verdict("GET", QA, "t2", "198.51.100.1") == ("", "")
    assert detector.verdict("GET", CHROME, "t1", "198.51.100.1") == ("", "")
    assert detector.reasons["tenant_ua"] == 1


def test_ip_ranges_v4_and_v6() -> None:
    bots = TenantBots()
    bots.set(tenant("t1", ranges=("203.0.113.0/24", "2001:db8::/32", "not a network")))
    detector = BotDetector(tenants=bots)
    assert detector.verdict("GET", CHROME, "t1", "203.0.113.200") == ("tenant", "tenant_ip")
    assert detector.verdict("GET", CHROME, "t1", "2001:db8::7") == ("tenant", "tenant_ip")
    assert detector.verdict("GET", CHROME, "t1", "203.0.114.1") == ("", "")
    assert detector.verdict("GET", CHROME, "t1", "") == ("", "")
    assert detector.verdict("GET", CHROME, "t1", "garbage") == ("", "")


def test_built_in_verdicts_keep_their_reason() -> None:
    bots = TenantBots()
    bots.set(tenant("t1", agents=("curl",)))
    assert BotDetector(tenants=bots).verdict("GET", "curl/8.4.0", "t1", "") == ("cli", "cli")


def test_rules_removed_stop_applying() -> None:
    bots = TenantBots()
    bots.set(tenant("t1", agents=("AcmeQA",)))
    detector = BotDetector(tenants=bots)
    assert detector.verdict("GET", QA, "t1", "").kind == "tenant"
    bots.set(tenant("t1"))
    assert detector.verdict("GET", QA, "t1", "").kind == ""


def test_the_enricher_applies_them_to_the_row(geo: GeoLocator, make_event: MakeEvent) -> None:
    bots = TenantBots()
    enricher = Enricher(geo, KEY, tenant_bots=bots)
    event = make_event(user_agent=QA)
    assert enricher.enrich(event).is_bot is False
    bots.set(tenant(event.tenant_id, ranges=(event.ip + "/32",)))
    row = enricher.enrich(event)
    assert (row.is_bot, row.bot_kind, row.bot_reason, row.device) == (True, "tenant", "tenant_ip", "other")
