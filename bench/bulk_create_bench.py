"""How fast the embedded product creates per-contact links: POST /api/v1/links/bulk.

    .venv/bin/python bench/bulk_create_bench.py [--rounds 5] [--items 10000]

Starts ``smartlinks up`` (SQLite, chDB, in-process bus: everything a first-time user
runs) in a temporary directory, then sends --rounds bulk requests of --items links each
over real HTTP, one after another, and, for comparison, single creates and message
rewrites. A round counts from the request until its response is read, the links
committed and their changes delivered to the redirector's cache and the analytics
mirror. Prints a table and writes bench/results/bulk_create.json. The target is 5,000
links per second.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import options, print_rows, write  # noqa: E402

from tests.support.product import start, stop  # noqa: E402

TARGET_PER_S = 5_000


def bulk_round(client: httpx.Client, round_no: int, items: int) -> float:
    body = {
        "items": [
            {
                "destination_url": f"https://shop.example/offer?utm_source=wa&c={n}",
                "campaign": f"bench-{round_no}",
                "contact_id": f"contact-{n}",
            }
            for n in range(items)
        ]
    }
    started = time.perf_counter()
    response = client.post("/api/v1/links/bulk", json=body)
    elapsed = time.perf_counter() - started
    result = response.json()
    if response.status_code != 200 or result["created"] != items:
        raise RuntimeError(f"bulk round {round_no} failed: {response.status_code} {response.text[:500]}")
    return elapsed


def singles(client: httpx.Client, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        response = client.post("/api/v1/links", json={"destination_url": f"https://shop.example/single/{n}"})
        if response.status_code != 201:
            raise RuntimeError(f"single create failed: {response.text[:300]}")
    return time.perf_counter() - started


def rewrites(client: httpx.Client, count: int) -> float:
    text = "Olá {n}! *Oferta* https://shop.example/sale?utm=wa. FAQ: https://shop.example/faq"
    started = time.perf_counter()
    for n in range(count):
        body = {"text": text.format(n=n), "campaign": "bench-rewrite", "contact_id": f"c{n}"}
        response = client.post("/api/v1/messages/rewrite", json=body)
        if response.status_code != 200 or len(response.json()["links"]) != 2:
            raise RuntimeError(f"rewrite failed: {response.text[:300]}")
    return time.perf_counter() - started


def main() -> None:
    args = options(__doc__, rounds=5, items=10_000, singles=500, rewrites=500)
    with tempfile.TemporaryDirectory(prefix="bulk-bench-") as tmp:
        process, running = start(Path(tmp) / "data")
        try:
            headers = {"Authorization": f"Bearer {running.key}"}
            with httpx.Client(base_url=running.url, headers=headers, timeout=300) as client:
                bulk_round(client, -1, 1000)  # warm-up: first writes, first mirror insert
                rounds = [bulk_round(client, n, args.items) for n in range(args.rounds)]
                single_s = singles(client, args.singles)
                rewrite_s = rewrites(client, args.rewrites)
        finally:
            stop(process)
    per_s = [args.items / seconds for seconds in rounds]
    results: dict[str, Any] = {
        "items_per_request": args.items,
        "bulk_links_per_s_median": statistics.median(per_s),
        "bulk_links_per_s_min": min(per_s),
        "bulk_request_seconds": rounds,
        "single_creates_per_s": args.singles / single_s,
        "rewrites_per_s": args.rewrites / rewrite_s,
        "target_links_per_s": TARGET_PER_S,
        "meets_target": min(per_s) >= TARGET_PER_S,
    }
    rows = [
        ("bulk create, median", f"{results['bulk_links_per_s_median']:,.0f} links/s"),
        ("bulk create, slowest round", f"{results['bulk_links_per_s_min']:,.0f} links/s"),
        (f"one request of {args.items:,} items", f"{statistics.median(rounds) * 1000:,.0f} ms median"),
        ("single POST /links", f"{results['single_creates_per_s']:,.0f} links/s"),
        ("message rewrite (2 URLs, new contact)", f"{results['rewrites_per_s']:,.0f} messages/s"),
        ("target", f"{TARGET_PER_S:,} links/s: {'met' if results['meets_target'] else 'NOT met'}"),
    ]
    print_rows(rows)
    write("bulk_create", results)


if __name__ == "__main__":
    main()
