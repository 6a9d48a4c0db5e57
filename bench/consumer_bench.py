"""Consumer throughput: encoded click events → decode → enrich → ClickHouse (chDB), end to end.

    .venv/bin/python bench/consumer_bench.py [--events 200000] [--batch 10000]

The same realistic mix as bench/enrich_bench.py (a third distinct in-app browsers, random
public IPs), delivered as the bus delivers them (JSON bytes) in batches, through the real
``ClickConsumer``: decode, enrichment steps, de-duplication and unique/repeat
classification (consumer/ingest.py), columnar insert with the rollup views attached, acknowledge.
Runs on one core's worth of Python (the GIL); chDB's insert uses its own threads.
Prints a table and writes bench/results/consumer.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from enrich_bench import make_events  # noqa: E402

from consumer.enrich import Enricher, GeoLocator  # noqa: E402
from consumer.ingest import ClickIngest  # noqa: E402
from consumer.loop import ClickConsumer  # noqa: E402
from smartlinks import clickhouse  # noqa: E402


class ListSource:
    """Hands out pre-encoded messages in batches, like the bus or Kafka would."""

    def __init__(self, messages: list[bytes]) -> None:
        self.messages = messages
        self.position = 0
        self.acked = 0

    async def take(self, max_items: int, max_wait: float) -> list[bytes]:
        batch = self.messages[self.position : self.position + max_items]
        self.position += len(batch)
        return batch

    async def ack(self) -> None:
        self.acked = self.position


async def run(messages: list[bytes], client: clickhouse.Client, batch: int) -> dict[str, Any]:
    geo = GeoLocator()
    source = ListSource(messages)
    consumer = ClickConsumer(source, Enricher(geo, b"k" * 32), ClickIngest(client), batch_size=batch)
    wall, cpu = time.perf_counter(), time.process_time()
    while await consumer.run_once():
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stored = client.query("SELECT count() FROM clicks").result_rows[0][0]
    geo.close()
    return {
        "events": len(messages),
        "stored": stored,
        "wall_s": wall,
        "cpu_s": cpu,
        "events_per_s": len(messages) / wall,
        "events_per_cpu_s": len(messages) / cpu,
        "dead_letters": dict(consumer.stats.dead_letters),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "consumer.json")
    args = parser.parse_args()

    messages = [event.to_json() for event in make_events(args.events, seed=1)]
    with tempfile.TemporaryDirectory() as scratch:
        client = clickhouse.connect(f"chdb://{scratch}", "bench")
        clickhouse.migrate(client)
        result = asyncio.run(run(messages, client, args.batch))
        # The same events again: redelivery must store nothing (and shows the de-dup cost).
        again = asyncio.run(run(messages, client, args.batch))
        client.close()
    result["redelivered_stored_total"] = again["stored"]
    result["redelivery_events_per_s"] = again["events_per_s"]
    result.update(batch=args.batch, machine={"cpus": os.cpu_count(), "python": platform.python_version()})

    print(f"consumer, {args.events:,} events in batches of {args.batch:,}")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| events/s (wall) | {result['events_per_s']:,.0f} |")
    print(f"| events per CPU second (this process) | {result['events_per_cpu_s']:,.0f} |")
    print(f"| stored rows | {result['stored']:,} |")
    print(f"| redelivery of all events: events/s | {again['events_per_s']:,.0f} |")
    print(f"| rows after redelivery (must equal stored) | {again['stored']:,} |")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
