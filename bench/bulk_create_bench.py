"""How fast the embedded product creates per-contact links: POST /api/v1/links/bulk.

    .venv/bin/python bench/bulk_create_bench.py [--rounds 5] [--items 10000]

Starts ``smartlinks up`` (SQLite, chDB, in-process bus: everything a first-time user
runs) in a temporary directory, then sends --rounds bulk requests of --items links each
over real HTTP, one after another, and, for comparison, single creates and message
rewrites, one at a time and as one batch of --messages (one a contact). A round counts
from the request until its response is read, the links committed and their changes
delivered to the redirector's cache (new links reach the analytics mirror a moment
later). Prints a table and writes bench/results/bulk_create.json. The targets: 5,000
links per second in bulk; a single create p50 <= 3 ms and >= 500 a second; rewrites
>= 500 messages a second one at a time, >= 5,000 in a batch.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


class OneConnection:
    """A keep-alive connection that times the server, not the client: httpx spends ~0.8 ms
    of CPU on each request here (measured), a quarter of a single create's round trip."""

    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        self.conn.request("POST", path, json.dumps(body).encode(), self.headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read())

    def close(self) -> None:
        self.conn.close()


def singles(client: OneConnection, count: int) -> list[float]:
    """Each single create's seconds, one after another on one connection."""
    took = []
    for n in range(count):
        started = time.perf_counter()
        status, result = client.post("/api/v1/links", {"destination_url": f"https://shop.example/single/{n}"})
        took.append(time.perf_counter() - started)
        if status != 201:
            raise RuntimeError(f"single create failed: {status} {result}")
    return took


TEXT = "Olá {n}! *Oferta* https://shop.example/sale?utm=wa. FAQ: https://shop.example/faq"


def rewrites(client: OneConnection, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        body = {"text": TEXT.format(n=n), "campaign": "bench-rewrite", "contact_id": f"c{n}"}
        status, result = client.post("/api/v1/messages/rewrite", body)
        if status != 200 or len(result["links"]) != 2:
            raise RuntimeError(f"rewrite failed: {status} {result}")
    return time.perf_counter() - started


def batch_rewrite(client: httpx.Client, count: int, campaign: str) -> float:
    """One request of ``count`` messages, one a contact (new contacts the first time)."""
    messages = [{"text": TEXT.format(n=n), "campaign": campaign, "contact_id": f"c{n}"} for n in range(count)]
    started = time.perf_counter()
    response = client.post("/api/v1/messages/rewrite", json={"messages": messages})
    took = time.perf_counter() - started
    if response.status_code != 200 or response.json()["rewritten"] != count:
        raise RuntimeError(f"batch rewrite failed: {response.text[:300]}")
    return took


def main() -> None:
    args = options(__doc__, rounds=5, items=10_000, singles=500, rewrites=500, messages=10_000)
    with tempfile.TemporaryDirectory(prefix="bulk-bench-") as tmp:
        process, running = start(Path(tmp) / "data")
        try:
            headers = {"Authorization": f"Bearer {running.key}"}
            with httpx.Client(base_url=running.url, headers=headers, timeout=300) as client:
                bulk_round(client, -1, 1000)  # warm-up: first writes, first mirror insert
                rounds = [bulk_round(client, n, args.items) for n in range(args.rounds)]
                one = OneConnection(running.url, running.key)
                try:
                    single_took = singles(one, args.singles)
                    rewrite_s = rewrites(one, args.rewrites)
                finally:
                    one.close()
                batch_s = batch_rewrite(client, args.messages, "bench-batch")
                batch_again_s = batch_rewrite(client, args.messages, "bench-batch")  # every link reused
        finally:
            stop(process)
    per_s = [args.items / seconds for seconds in rounds]
    results: dict[str, Any] = {
        "items_per_request": args.items,
        "bulk_links_per_s_median": statistics.median(per_s),
        "bulk_links_per_s_min": min(per_s),
        "bulk_request_seconds": rounds,
        "single_creates_per_s": args.singles / sum(single_took),
        "single_create_p50_ms": statistics.median(single_took) * 1000,
        "rewrites_per_s": args.rewrites / rewrite_s,
        "batch_rewrite_messages_per_s": args.messages / batch_s,
        "batch_rewrite_again_messages_per_s": args.messages / batch_again_s,
        "target_links_per_s": TARGET_PER_S,
        "meets_target": min(per_s) >= TARGET_PER_S,
    }
    rows = [
        ("bulk create, median", f"{results['bulk_links_per_s_median']:,.0f} links/s"),
        ("bulk create, slowest round", f"{results['bulk_links_per_s_min']:,.0f} links/s"),
        (f"one request of {args.items:,} items", f"{statistics.median(rounds) * 1000:,.0f} ms median"),
        ("single POST /links", f"{results['single_creates_per_s']:,.0f} links/s (goal 500)"),
        ("single POST /links, p50", f"{results['single_create_p50_ms']:.2f} ms (goal 3)"),
        ("message rewrite (2 URLs, new contact)", f"{results['rewrites_per_s']:,.0f} messages/s (goal 500)"),
        (
            f"batch rewrite, {args.messages:,} new contacts",
            f"{results['batch_rewrite_messages_per_s']:,.0f} messages/s (goal 5,000)",
        ),
        (
            "batch rewrite, same again (reused)",
            f"{results['batch_rewrite_again_messages_per_s']:,.0f} messages/s",
        ),
        ("target", f"{TARGET_PER_S:,} links/s: {'met' if results['meets_target'] else 'NOT met'}"),
    ]
    print_rows(rows)
    write("bulk_create", results)


if __name__ == "__main__":
    main()
