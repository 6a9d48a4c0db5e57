"""What the redirector's link cache costs: memory at a million links, and a hit, a miss.

    PYTHONPATH=$PWD .venv/bin/python bench/redirect_cache_bench.py [--links 1000000]
        [--tenants 300] [--hits 200000] [--old 1] [--label NAME]

Imports what the redirector process imports (its baseline RSS is bench/role_startup.py's),
then fills a real LinkCache through its miss path (``get`` in batches, as one loop turn's
misses reach the store together) with --links realistic links: a destination of 60-100
characters with utm parameters, a campaign and a contact id on most links, a few hundred
tenants, some expiring, some tracking conversions. The store is a function that makes the
links as they are asked for, so nothing but the cache holds them. Reports this process's
RSS (VmRSS) before and after the fill and per link, the cost of a hit on a hot link (the
hot tier), of a hit on a link last used long ago (the compact tier), of a miss with its
insert, and the same for the structure before the compact tier (an OrderedDict of
ResolvedLink objects, in a child process so its memory is its own) unless --old 0.
Prints a table and writes bench/results/redirect_cache[-LABEL].json.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402, F401  (what the redirector command imports before its app)
from report import options, print_rows, write  # noqa: E402

from redirector.cache import LinkCache  # noqa: E402
from roles import redirector  # noqa: E402, F401
from smartlinks.models import ResolvedLink  # noqa: E402

GOAL_MB = 200
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SOURCES = ("newsletter", "sms", "whatsapp", "push", "partner-feed")
PATHS = ("products", "collections/summer", "blog/2026/guides", "landing", "p")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def code_of(n: int) -> str:
    """The n-th code: 7 characters, as the API makes them."""
    chars = []
    for _ in range(7):
        n, digit = divmod(n, 62)
        chars.append(ALPHABET[digit])
    return "".join(chars)


def number_of(code: str) -> int:
    n = 0
    for char in reversed(code):
        n = n * 62 + ALPHABET.index(char)
    return n


class Links:
    """Makes link n on demand, the same every time: tenant, campaign and destination drawn
    from the number, so a million links need no memory until a cache keeps them."""

    def __init__(self, tenants: int) -> None:
        rng = random.Random(7)
        self.tenants = [f"{rng.getrandbits(128):032x}" for _ in range(tenants)]
        self.hosts = [f"shop-{rng.randrange(10**6)}.example.com" for _ in range(tenants)]
        # A few campaigns a tenant, each with its utm parameters.
        self.campaigns = [[f"spring-sale-{t}-{c}" for c in range(4)] for t in range(tenants)]

    def link(self, n: int) -> ResolvedLink:
        rng = random.Random(n)
        t = n % len(self.tenants)
        campaign = self.campaigns[t][rng.randrange(4)] if rng.random() < 0.9 else None
        location = f"https://{self.hosts[t]}/{PATHS[n % len(PATHS)]}/item-{rng.randrange(10**7)}"
        if campaign is not None:
            source = SOURCES[hash(campaign) % len(SOURCES)]
            location += f"?utm_source={source}&utm_medium=message&utm_campaign={campaign}"
        return ResolvedLink(
            link_id=f"{(1_780_000_000_000 + n) << 80 | rng.getrandbits(80):032x}",
            tenant_id=self.tenants[t],
            code=code_of(n),
            location=location,
            expires_at_ms=1_800_000_000_000 + n if rng.random() < 0.1 else None,
            campaign=campaign,
            contact_id=f"crm-{rng.randrange(10**9):09d}" if campaign is not None else None,
            collect_metadata=rng.random() < 0.95,
            click_param="sl_click" if t % 3 == 0 else None,
        )


async def fill(cache: Any, links: Links, count: int) -> float:
    """Ask the cache for ``count`` codes in batches of 1000; ns per link."""

    started = time.perf_counter()
    for start in range(0, count, 1000):
        await asyncio.gather(*(cache.get(code_of(n)) for n in range(start, min(start + 1000, count))))
    return (time.perf_counter() - started) / count * 1e9


def hit_ns(cache: Any, codes: list[str]) -> float:
    """ns per ``peek`` of each of ``codes`` in turn (each must be a hit)."""
    peek = cache.peek
    started = time.perf_counter()
    for code in codes:
        peek(code)
    return (time.perf_counter() - started) / len(codes) * 1e9


class OldLinkCache(LinkCache):
    """The cache before the compact tier: an OrderedDict of (link, deadline), a hit a
    lookup and a move_to_end, an insert a set, a move_to_end and evictions from the front.
    Its misses go through the same batched lookups as LinkCache's, so the two compare."""

    def __init__(self, resolver: Any, capacity: int, ttl: float, negative_ttl: float) -> None:
        super().__init__(resolver, capacity, ttl, negative_ttl)
        self._entries: OrderedDict[str, tuple[ResolvedLink | None, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, code: str) -> tuple[bool, ResolvedLink | None]:
        entry = self._entries.get(code)
        if entry is None or entry[1] < time.monotonic():
            return False, None
        self._entries.move_to_end(code)
        if entry[0] is None:
            self.stats.negative_hits += 1
        else:
            self.stats.hits += 1
        return True, entry[0]

    def _store(self, code: str, link: ResolvedLink | None) -> None:
        ttl = self.ttl if link is not None else self.negative_ttl
        self._entries[code] = (link, time.monotonic() + ttl)
        self._entries.move_to_end(code)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
            self.stats.evictions += 1


async def run(structure: str, count: int, tenants: int, hits: int) -> dict[str, Any]:
    links = Links(tenants)

    async def resolve(codes: list[str]) -> dict[str, ResolvedLink]:
        return {code: links.link(number_of(code)) for code in codes}

    old = structure == "old"
    cache: Any = (OldLinkCache if old else LinkCache)(resolve, count, 3600, 5)
    gc.collect()
    before = rss_mb()
    miss_ns = await fill(cache, links, count)
    gc.collect()
    after = rss_mb()
    assert len(cache) == count
    rng = random.Random(11)
    hot = [code_of(rng.randrange(count)) for _ in range(1000)]
    hit_ns(cache, hot)  # now hot
    result = {
        "structure": structure,
        "links": count,
        "tenants": tenants,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "bytes_per_link": round((after - before) * 1024 * 1024 / count, 1),
        "miss_insert_ns": round(miss_ns),
        "hot_hit_ns": round(min(hit_ns(cache, hot * 100) for _ in range(5)), 1),
    }
    if structure != "old":
        # Distinct codes used long ago: each is a compact-tier hit (then hot).
        cold = [code_of(n) for n in rng.sample(range(count), min(hits, count))]
        compact_hits = cache.stats.compact_hits
        result["compact_hit_ns"] = round(hit_ns(cache, cold), 1)
        # A few of them were hot still (the last ones filled, the sample of hot codes).
        result["compact_hit_share"] = round((cache.stats.compact_hits - compact_hits) / len(cold), 3)
    return result


def main() -> None:
    args = options(__doc__, links=1_000_000, tenants=300, hits=200_000, old=1, label="", child="")
    if args.child:  # one structure, measured in this process: print its figures as JSON
        print(json.dumps(asyncio.run(run(args.child, args.links, args.tenants, args.hits))))
        return
    results = []
    for structure in ("compact", "old") if args.old else ("compact",):
        command = [sys.executable, __file__, "--child", structure, "--links", str(args.links)]
        command += ["--tenants", str(args.tenants), "--hits", str(args.hits)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.splitlines()[-1]))
    rows = []
    for result in results:
        name = result["structure"]
        rows += [
            (f"{name}: RSS before / after fill", f"{result['rss_before_mb']} / {result['rss_after_mb']} MB"),
            (f"{name}: per link", f"{result['bytes_per_link']} B"),
            (f"{name}: hot hit", f"{result['hot_hit_ns']} ns"),
            (f"{name}: miss + insert (batched get)", f"{result['miss_insert_ns']} ns"),
        ]
        if "compact_hit_ns" in result:
            rows.append((f"{name}: compact-tier hit", f"{result['compact_hit_ns']} ns"))
    compact = results[0]
    met = compact["rss_after_mb"] <= GOAL_MB
    rows.append((f"goal: <= {GOAL_MB} MB RSS at {compact['links']:,} links", "met" if met else "NOT met"))
    print_rows(rows)
    name = "redirect_cache" + (f"-{args.label}" if args.label else "")
    write(name, {"goal_mb": GOAL_MB, "goal_met": met, "results": results})


if __name__ == "__main__":
    main()
