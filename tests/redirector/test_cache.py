"""The link cache's lookups: the misses of one loop turn go to the store together, a code
missed twice at once is looked up once, an eviction during a lookup keeps its stale answer
out, and a store failure reaches every request that waited for it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from redirector.cache import LinkCache
from smartlinks.models import ResolvedLink

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def link(code: str) -> ResolvedLink:
    return ResolvedLink("l" * 32, "t" * 32, code, "https://shop.example/", None, None, None, True)


class Store:
    """Knows the codes it was given; records each lookup; may be told to fail or to wait."""

    def __init__(self, *codes: str) -> None:
        self.links = {code: link(code) for code in codes}
        self.lookups: list[list[str]] = []
        self.failure: Exception | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def resolve_many(self, codes: list[str]) -> Mapping[str, ResolvedLink]:
        self.lookups.append(list(codes))
        await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return {code: self.links[code] for code in codes if code in self.links}


def cache_of(store: Store) -> LinkCache:
    return LinkCache(store.resolve_many, capacity=100, ttl=60, negative_ttl=5)


async def test_the_misses_of_one_turn_are_one_store_query() -> None:
    codes = [f"code{n}" for n in range(64)]
    store = Store(*codes[:60])
    cache = cache_of(store)
    found = await asyncio.gather(*(cache.get(code) for code in codes), cache.get("code0"))
    assert store.lookups == [codes]  # code0, asked twice, is looked up once
    assert [item.code if item else None for item in found] == [*codes[:60], None, None, None, None, "code0"]
    assert cache.peek("code1") == (True, store.links["code1"])
    assert cache.peek("code63") == (True, None)  # unknown: cached as such
    assert cache.stats.misses == 65 and cache.stats.store_lookups == 1


async def test_misses_while_lookups_are_under_way_wait_and_go_in_one_batch() -> None:
    codes = [f"code{n}" for n in range(12)]
    store = Store(*codes)
    store.gate.clear()
    cache = cache_of(store)
    waiting = []
    for turn in range(6):  # two codes a loop turn, while the store does not answer
        waiting += [asyncio.ensure_future(cache.get(code)) for code in codes[2 * turn : 2 * turn + 2]]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    assert store.lookups == [codes[0:2], codes[2:4]]  # MAX_LOOKUPS, the rest wait
    store.gate.set()
    found = await asyncio.wait_for(asyncio.gather(*waiting), 2)
    assert [item.code for item in found] == codes
    assert store.lookups == [codes[0:2], codes[2:4], codes[4:]]
    assert cache.stats.store_lookups == 3


async def test_an_eviction_during_the_lookup_keeps_its_answer_out_of_the_cache() -> None:
    store = Store("code1")
    store.gate.clear()
    cache = cache_of(store)
    waiting = asyncio.ensure_future(cache.get("code1"))
    await asyncio.sleep(0)  # the lookup starts and waits at the store
    await asyncio.sleep(0)
    cache.evict("code1")  # a change committed meanwhile: the answer under way may be stale
    store.gate.set()
    assert (await asyncio.wait_for(waiting, 2)).code == "code1"  # the request is still answered
    assert cache.peek("code1") == (False, None)


async def test_an_eviction_before_the_lookup_starts_still_answers_the_request() -> None:
    store = Store("code1")
    cache = cache_of(store)
    waiting = asyncio.ensure_future(cache.get("code1"))
    await asyncio.sleep(0)  # get() has asked; the lookup is to start on the next turn
    cache.evict("code1")
    assert (await asyncio.wait_for(waiting, 2)).code == "code1"
    assert cache.peek("code1") == (False, None)


async def test_a_store_failure_reaches_every_request_that_waited_and_is_not_cached() -> None:
    store = Store("code1", "code2")
    store.failure = ConnectionError("database unreachable")
    cache = cache_of(store)
    results = await asyncio.gather(cache.get("code1"), cache.get("code2"), return_exceptions=True)
    assert [type(result) for result in results] == [ConnectionError, ConnectionError]
    store.failure = None
    assert (await cache.get("code1")) == store.links["code1"]  # looked up again, not remembered
    assert len(store.lookups) == 2
