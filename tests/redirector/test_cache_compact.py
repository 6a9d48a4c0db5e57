"""The compact tier of the link cache (redirector/compact.py) and the two tiers together:
what goes in comes out equal, removals leave tombstones that lookups step over, the log's
garbage is cleaned and its segments freed, capacity evicts with a second chance, a tenant's
links go at once, and entries expire."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping

import pytest

from redirector.cache import LinkCache
from redirector.compact import CompactLinks
from smartlinks.models import ResolvedLink
from smartlinks.rules import LinkRules, Target, Variant

pytestmark = pytest.mark.anyio

TENANT_A = "0190a0b1c2d3e4f5a6b7c8d9e0f1a2b3"
TENANT_B = "t" * 32


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def link(code: str, tenant_id: str = TENANT_A, **fields: object) -> ResolvedLink:
    values: dict[str, object] = {
        "link_id": "0190a0b1c2d3e4f5a6b7c8d9e0f1a2b3",
        "tenant_id": tenant_id,
        "code": code,
        "location": f"https://shop.example/p/{code}?utm_source=sms&utm_campaign=spring",
        "expires_at_ms": None,
        "campaign": "spring",
        "contact_id": "crm-0042",
        "collect_metadata": True,
        "click_param": None,
    }
    values.update(fields)
    return ResolvedLink(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "original",
    [
        link("abc1234"),
        link("abc1234", expires_at_ms=1_800_000_000_123, click_param="sl_click", collect_metadata=False),
        link("Z9", link_id="l" * 32, campaign=None, contact_id=None, location="http://plain.example/"),
        link("abc1234", link_id="0190A0B1C2D3E4F5A6B7C8D9E0F1A2B3"),  # upper case: not packed as hex
        link("abc1234", contact_id="kontakt-Jürgen", campaign="été", location="https://x.example/?a=%C3%A9"),
        link("abc1234", location="https://shop.example/?", expires_at_ms=0),
        link(
            "abc1234",
            rules=LinkRules(
                max_clicks=100,
                expired_url="https://shop.example/over",
                password_hash="$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                targets=(Target("https://apps.apple.com/app", os="ios", country="BR"),),
                variants=(Variant("https://a.example/", 3), Variant("https://b.example/é", 1)),
            ),
        ),
    ],
)
def test_a_link_comes_back_equal(original: ResolvedLink) -> None:
    for pool_limit in (65_536, 0):  # shared strings, or every string inline
        compact = CompactLinks(capacity=10, pool_limit=pool_limit)
        assert compact.put(original.code, original, 123.25)
        assert compact.get(original.code) == (original, 123.25)
        assert compact.get(original.code[:-1] + "x") is None


def test_an_unknown_code_is_kept_as_such() -> None:
    compact = CompactLinks(capacity=10)
    compact.put("nope123", None, 5.5)
    assert compact.get("nope123") == (None, 5.5)
    assert len(compact) == 1


def test_a_field_too_long_to_pack_is_not_kept() -> None:
    compact = CompactLinks(capacity=10)
    assert not compact.put("long123", link("long123", location="https://x.example/" + "a" * 70_000), 1.0)
    assert compact.get("long123") is None and len(compact) == 0


def test_removals_shift_their_run_back_so_every_other_code_is_still_found() -> None:
    compact = CompactLinks(capacity=100_000)
    codes = [f"c{n}" for n in range(5000)]  # far beyond the first index: collisions and rebuilds
    for code in codes:
        compact.put(code, link(code), 1.0)
    for code in codes[::2]:
        compact.remove(code)
    assert len(compact) == 2500
    for n, code in enumerate(codes):
        assert compact.get(code) == (None if n % 2 == 0 else (link(code), 1.0))
    for code in codes[::2]:  # back, with something new
        compact.put(code, link(code, campaign="autumn"), 2.0)
    assert len(compact) == 5000
    for n, code in enumerate(codes):
        assert compact.get(code) == (
            (link(code, campaign="autumn"), 2.0) if n % 2 == 0 else (link(code), 1.0)
        )


def test_random_puts_removals_and_tenant_drops_agree_with_a_dict() -> None:
    rng = random.Random(5)
    compact = CompactLinks(capacity=100_000)
    model: dict[str, tuple[ResolvedLink | None, float]] = {}
    codes = [f"x{n}" for n in range(1500)]  # dense runs in the index: shifts move many entries
    for step in range(30_000):
        code = rng.choice(codes)
        roll = rng.random()
        if roll < 0.6:
            value = link(code, rng.choice((TENANT_A, TENANT_B)), expires_at_ms=step) if roll < 0.55 else None
            compact.put(code, value, float(step))
            model[code] = (value, float(step))
        elif roll < 0.9999:
            compact.remove(code)
            model.pop(code, None)
        else:
            tenant = rng.choice((TENANT_A, TENANT_B))
            compact.remove_tenant(tenant)
            model = {c: e for c, e in model.items() if e[0] is None or e[0].tenant_id != tenant}
        if step % 5000 == 0 or step == 29_999:
            assert len(compact) == len(model)
            assert all(compact.get(c) == model.get(c) for c in codes)


def test_replaced_records_are_cleaned_and_their_segments_freed() -> None:
    compact = CompactLinks(capacity=1000)
    codes = [f"r{n}" for n in range(100)]
    for round_ in range(400):  # ~6 MB of records written, ~15 kB of them live at the end
        for code in codes:
            compact.put(code, link(code, expires_at_ms=round_), float(round_))
    assert len(compact) == 100
    assert compact.segments <= 3
    assert compact.log_bytes < 3 * 2**20
    for code in codes:
        assert compact.get(code) == (link(code, expires_at_ms=399), 399.0)


def test_capacity_evicts_the_oldest_unless_it_was_used_since() -> None:
    evicted: list[str] = []
    compact = CompactLinks(capacity=100, dropped=evicted.append)
    for n in range(100):
        compact.put(f"k{n}", link(f"k{n}"), 1.0)
    assert compact.get("k0") is not None  # used: a second chance
    compact.put("new1", link("new1"), 1.0)
    assert len(compact) == 100 and compact.evictions == 1
    assert evicted == ["k1"]
    assert compact.get("k0") is not None and compact.get("k1") is None
    for n in range(1000):
        compact.put(f"m{n}", link(f"m{n}"), 1.0)
    assert len(compact) == 100 and compact.evictions == 1001
    assert all(compact.get(f"m{n}") is not None for n in range(900, 1000))


def test_capacity_holds_when_every_record_asks_to_be_spared() -> None:
    compact = CompactLinks(capacity=50, spare=lambda code: True)
    for n in range(500):
        compact.put(f"s{n}", link(f"s{n}"), 1.0)
    assert len(compact) == 50 and compact.evictions == 450


def test_a_tenants_links_go_at_once_and_new_ones_are_kept() -> None:
    compact = CompactLinks(capacity=1000)
    for n in range(300):
        compact.put(f"a{n}", link(f"a{n}", TENANT_A), 1.0)
        compact.put(f"b{n}", link(f"b{n}", TENANT_B), 1.0)
    compact.put("none1", None, 1.0)
    compact.remove_tenant(TENANT_A)
    assert len(compact) == 301
    assert compact.get("a5") is None and compact.get("b5") == (link("b5", TENANT_B), 1.0)
    assert compact.get("none1") == (None, 1.0)
    compact.put("a5", link("a5", TENANT_A, campaign="new"), 2.0)
    assert compact.get("a5") == (link("a5", TENANT_A, campaign="new"), 2.0)
    assert len(compact) == 302
    for n in range(20_000):  # ~3 MB: the cleaner passes the dropped records, counts stay right
        compact.put(f"c{n % 600}", link(f"c{n % 600}", TENANT_B), 1.0)
    assert len(compact) == 902 and compact.segments <= 3
    assert compact.get("a6") is None and compact.get("a5") is not None


def test_clear_forgets_everything() -> None:
    compact = CompactLinks(capacity=10)
    compact.put("abc1234", link("abc1234"), 1.0)
    compact.clear()
    assert compact.get("abc1234") is None and len(compact) == 0


class Store:
    def __init__(self, links: Mapping[str, ResolvedLink]) -> None:
        self.links = dict(links)
        self.asked: list[str] = []

    async def resolve_many(self, codes: list[str]) -> Mapping[str, ResolvedLink]:
        self.asked.extend(codes)
        return {code: self.links[code] for code in codes if code in self.links}


async def test_links_beyond_the_hot_tier_are_hits_from_the_compact_tier() -> None:
    store = Store({f"h{n}": link(f"h{n}") for n in range(500)})
    cache = LinkCache(store.resolve_many, capacity=1000, ttl=60, negative_ttl=5, hot_links=10)
    await asyncio.gather(*(cache.get(f"h{n}") for n in range(500)))
    assert [cache.peek(f"h{n}") for n in range(500)] == [(True, store.links[f"h{n}"]) for n in range(500)]
    assert cache.stats.hits == 500 and cache.stats.compact_hits >= 480
    assert len(store.asked) == 500 and len(cache) == 500


async def test_an_eviction_reaches_both_tiers() -> None:
    store = Store({"hot1": link("hot1"), "hot2": link("hot2", TENANT_B)})
    cache = LinkCache(store.resolve_many, capacity=1000, ttl=60, negative_ttl=5)
    await cache.get("hot1")
    await cache.get("hot2")
    cache.evict("hot1")
    assert cache.peek("hot1") == (False, None)
    cache.evict_tenant(TENANT_B)
    assert cache.peek("hot2") == (False, None)
    assert len(cache) == 0


async def test_a_link_too_long_to_pack_is_answered_and_replaces_what_was_cached() -> None:
    store = Store({"long123": link("long123")})
    cache = LinkCache(store.resolve_many, capacity=1000, ttl=0.05, negative_ttl=5)
    await cache.get("long123")
    await asyncio.sleep(0.1)  # expired: the next lookup finds the edited link
    store.links["long123"] = huge = link("long123", location="https://x.example/" + "a" * 70_000)
    assert await cache.get("long123") == huge
    assert cache.peek("long123") == (False, None) and len(cache) == 0


async def test_entries_expire_positive_and_negative() -> None:
    store = Store({"live1": link("live1")})
    cache = LinkCache(store.resolve_many, capacity=1000, ttl=0.2, negative_ttl=0.1, hot_links=1)
    assert await cache.get("live1") == store.links["live1"]
    assert await cache.get("gone1") is None
    assert cache.peek("gone1") == (True, None)
    await asyncio.sleep(0.15)
    assert cache.peek("gone1") == (False, None)  # the negative entry expired first
    assert cache.peek("live1") == (True, store.links["live1"])
    await asyncio.sleep(0.1)
    assert cache.peek("live1") == (False, None)
    await cache.get("live1")
    assert store.asked == ["live1", "gone1", "live1"]


async def test_a_cache_never_holds_more_than_its_capacity() -> None:
    store = Store({f"n{n}": link(f"n{n}") for n in range(2000)})
    cache = LinkCache(store.resolve_many, capacity=100, ttl=60, negative_ttl=5)
    for start in range(0, 2000, 50):
        await asyncio.gather(*(cache.get(f"n{n}") for n in range(start, start + 50)))
    assert len(cache) == 100 and cache.stats.evictions == 1900
    assert all(cache.peek(f"n{n}")[0] for n in range(1950, 2000))
    assert cache.peek("n0") == (False, None)  # evicted from both tiers
