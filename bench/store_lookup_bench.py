"""How fast the link store answers a redirector's cache miss: ``store.resolve(code)``.

    PYTHONPATH=$PWD .venv/bin/python bench/store_lookup_bench.py [--links 20000] [--lookups 5000]
        [--rounds 5] [--engines sqlite,postgres] [--label NAME]

For each engine (SQLite in a temporary file; PostgreSQL on a throwaway local server, as
the tests start it), creates --links links, then looks up --lookups distinct existing
codes one after another, --rounds times (each round a fresh random order, so no lookup
repeats within a round). Only the store is measured: no HTTP, no redirector cache. Reports
the median and p99 µs per lookup, lookups per second (median round) and this process's
CPU µs per lookup (median round), prints a table
and writes bench/results/store_lookup[-LABEL].json.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import options, write  # noqa: E402

from smartlinks.models import NewLink  # noqa: E402
from smartlinks.settings import Settings  # noqa: E402
from smartlinks.store import open_store  # noqa: E402
from smartlinks.store.link_store import LinkStore  # noqa: E402


async def measure(store: LinkStore, links: int, lookups: int, rounds: int) -> dict[str, Any]:
    await store.open()
    try:
        tenant = await store.create_tenant("bench")
        codes: list[str] = []
        batch = 1000
        for start in range(0, links, batch):
            news = [
                NewLink(tenant.id, f"https://shop.example/p/{n}", campaign="bench")
                for n in range(start, min(start + batch, links))
            ]
            created = await store.create_links(tenant.id, news)
            codes.extend(link.code for link in created if not isinstance(link, Exception))
        rng = random.Random(7)
        for code in rng.sample(codes, min(200, len(codes))):  # warm the connections and plans
            await store.resolve(code)
        per_lookup: list[float] = []
        round_rates: list[float] = []
        round_cpu: list[float] = []
        for _ in range(rounds):
            sample = rng.sample(codes, min(lookups, len(codes)))
            round_start, cpu_start = time.perf_counter(), time.process_time()
            for code in sample:
                started = time.perf_counter()
                found = await store.resolve(code)
                per_lookup.append(time.perf_counter() - started)
                if found is None:
                    raise RuntimeError(f"code {code} not found")
            round_rates.append(len(sample) / (time.perf_counter() - round_start))
            round_cpu.append((time.process_time() - cpu_start) / len(sample))
        per_lookup.sort()
        return {
            "lookups": len(per_lookup),
            "median_us": round(statistics.median(per_lookup) * 1e6, 1),
            "p99_us": round(per_lookup[int(len(per_lookup) * 0.99)] * 1e6, 1),
            "lookups_per_s": round(statistics.median(round_rates)),
            # This process's CPU (every thread): what the store's code costs, less exposed
            # than wall time to other work on a busy machine. The server's is not in it.
            "client_cpu_us": round(statistics.median(round_cpu) * 1e6, 1),
        }
    finally:
        await store.close()


def run_engine(engine: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    if engine == "sqlite":
        settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'bench.sqlite3'}")
        return asyncio.run(measure(open_store(settings), args.links, args.lookups, args.rounds))
    from tests.support.postgres import local_postgres

    with local_postgres(tmp) as server:
        settings = Settings(data_dir=tmp, database_url=server.dsn)
        return asyncio.run(measure(open_store(settings), args.links, args.lookups, args.rounds))


def main() -> None:
    args = options(__doc__, links=20_000, lookups=5_000, rounds=5, engines="sqlite,postgres", label="")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="store-lookup-") as tmp:
        for engine in args.engines.split(","):
            folder = Path(tmp) / engine
            folder.mkdir()
            results[engine] = run_engine(engine, args, folder)
    print(f"{'engine':<10} {'lookups':>8} {'median µs':>10} {'p99 µs':>8} {'lookups/s':>10} {'CPU µs':>7}")
    for engine, row in results.items():
        print(
            f"{engine:<10} {row['lookups']:>8} {row['median_us']:>10} {row['p99_us']:>8}"
            f" {row['lookups_per_s']:>10} {row['client_cpu_us']:>7}"
        )
    name = f"store_lookup{'-' + args.label if args.label else ''}"
    write(name, {"label": args.label, "links": args.links, "rounds": args.rounds, "results": results})


if __name__ == "__main__":
    main()
