"""The CPU a link's rules add to one redirect, measured in-process, link against link.

The real ``RedirectEdge`` serves one cached link to 64 concurrent requests per event-loop
turn (as ``bench/edge_log_cost.py`` does), the click handed on in memory so that only the
edge's own work is timed: a plain link, then the same link with each rule (max_clicks,
targets by OS and device, a target by country, variants) and with all of them. Rounds are
interleaved, link by link, and the median kept, so load elsewhere on the machine hits every
row alike; the difference to the plain link is what a rule costs. ``bench/redirect_bench.py``
reports it beside the HTTP figures; it also runs alone: ``.venv/bin/python bench/rules_cost.py``.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge_log_cost import CONCURRENCY, LINK, InMemoryLog  # noqa: E402

from redirector.app import create_redirector  # noqa: E402
from redirector.cache import LinkCache  # noqa: E402
from smartlinks.models import ResolvedLink  # noqa: E402
from smartlinks.rules import LinkRules, Target, Variant  # noqa: E402
from smartlinks.settings import Settings  # noqa: E402

UA = (
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    b" Chrome/124.0.0.0 Safari/537.36"
)
# Targets that do not match the visitor: every condition of every target is tested.
_OS_DEVICE = (
    Target("https://apps.apple.com/app", os="ios", device="mobile"),
    Target("https://play.google.com/app", os="android"),
    Target("https://example.com/tablet", device="tablet"),
)
_VARIANTS = (Variant("https://example.com/a", 1), Variant("https://example.com/b", 3))
LIMIT = 2_000_000_000  # never used up during the bench: every human click spends a leased one
CASES: dict[str, LinkRules | None] = {
    "plain link": None,
    "max_clicks": LinkRules(max_clicks=LIMIT),
    "targets by OS/device": LinkRules(targets=_OS_DEVICE),
    "target by country": LinkRules(targets=(Target("https://example.com/us", country="US"),)),
    "variants": LinkRules(variants=_VARIANTS),
    "all of them": LinkRules(max_clicks=LIMIT, targets=_OS_DEVICE, variants=_VARIANTS),
}


def _scope(code: str, client: str) -> dict[str, Any]:
    return {
        "type": "http", "method": "GET", "path": "/" + code, "query_string": b"",
        "client": (client, 50000),
        "headers": [(b"host", b"sl.example"), (b"user-agent", UA), (b"accept-language", b"en-US")],
    }  # fmt: skip


async def _run(rules: LinkRules | None, redirects: int, client: str) -> float:
    link: ResolvedLink = replace(LINK, rules=rules)

    async def resolve(codes: list[str]) -> dict[str, ResolvedLink]:
        return {link.code: link} if link.code in codes else {}

    cache = LinkCache(resolve, 1000, 3600, 5)
    await cache.get(link.code)
    edge = create_redirector(Settings(), cache, InMemoryLog(), b"k" * 32, routes=[])  # type: ignore[arg-type]
    scope = _scope(link.code, client)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    # Warm: the bot classifier and the GeoIP reader load on the first limited or country link.
    await asyncio.gather(*[edge(scope, receive, send) for _ in range(CONCURRENCY)])
    waves = redirects // CONCURRENCY
    gc.collect()
    started = time.process_time()
    for _ in range(waves):
        await asyncio.gather(*[edge(scope, receive, send) for _ in range(CONCURRENCY)])
    elapsed = time.process_time() - started
    await edge.rules.close()
    return elapsed / (waves * CONCURRENCY) * 1e6


def measure(redirects: int = 50_000, rounds: int = 11, client: str = "8.8.8.8") -> dict[str, float]:
    """Median µs of CPU per redirect for each case, and each rule's cost over the plain link."""
    results: dict[str, list[float]] = {name: [] for name in CASES}
    uvloop.run(_run(None, redirects // 4, client))  # warm-up
    for _ in range(rounds):
        for name, rules in CASES.items():
            results[name].append(uvloop.run(_run(rules, redirects, client)))
    medians = {name: sorted(values)[len(values) // 2] for name, values in results.items()}
    plain = medians["plain link"]
    figures = {f"{name}_us": round(value, 2) for name, value in medians.items()}
    figures |= {
        f"{name}_extra_us": round(value - plain, 2) for name, value in medians.items() if name != "plain link"
    }
    return figures


if __name__ == "__main__":
    found = measure()
    print("| edge, in-process (64 concurrent, median of 11 x 50k) | CPU per redirect | over plain |")
    print("|---|---:|---:|")
    for case in CASES:
        extra = found.get(f"{case}_extra_us")
        print(f"| {case} | {found[f'{case}_us']:.2f} µs | {'' if extra is None else f'{extra:+.2f} µs'} |")
