"""Consumer throughput: encoded click events → decode → enrich → ClickHouse (chDB), end to end.

    .venv/bin/python bench/consumer_bench.py [--events 200000] [--batch 10000] [--runs 3] [--webhooks]

The same realistic mix as bench/enrich_bench.py (a third distinct in-app browsers, random
public IPs), delivered as the bus delivers them (JSON bytes) in batches, through the real
``ClickConsumer``: decode, enrichment steps, de-duplication and unique/repeat
classification (consumer/ingest.py), columnar insert with the rollup views attached, acknowledge.
Runs on one core's worth of Python (the GIL); chDB's insert uses its own threads.

Each run has a database of its own and two passes: the events once (the goal: 50,000 a
second), then the same events to a restarted consumer, a redelivered batch whose every
event is stored already (the goal: 150,000 a second). With ``--webhooks`` every tenant
has a click webhook, so the redelivered clicks are read back from ClickHouse for the
triggers' second chance; without it they are only looked up by id. Medians over the runs
are reported, with each step's µs per event (batch steps timed by ClickIngest, enrichment
sampled by the Enricher, decoding timed on its own), which say where the time goes even
on a busy machine.
Prints a table and writes bench/results/consumer.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from enrich_bench import make_events  # noqa: E402

from consumer.decode import ClickDecoder  # noqa: E402
from consumer.enrich import Enricher, GeoLocator  # noqa: E402
from consumer.enrich.row import StoredClick  # noqa: E402
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


class EveryTenantsTriggers:
    """Click triggers that want every tenant's clicks (a webhook on each) and do nothing
    with them: a redelivered batch then reads its stored clicks back, as it must for them."""

    async def fire(self, clicks: Sequence[StoredClick]) -> None:
        pass

    def wants_clicks_of(self, tenant_id: str) -> bool:
        return True


async def run(messages: list[bytes], client: clickhouse.Client, batch: int, webhooks: bool) -> dict[str, Any]:
    geo = GeoLocator()
    source = ListSource(messages)
    triggers = EveryTenantsTriggers() if webhooks else None
    ingest = ClickIngest(client)
    consumer = ClickConsumer(source, Enricher(geo, b"k" * 32), ingest, batch_size=batch, triggers=triggers)
    wall, cpu = time.perf_counter(), time.process_time()
    while await consumer.run_once():
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stored = client.query("SELECT count() FROM clicks").result_rows[0][0]
    count = len(messages)
    # Wall-clock µs per event of each batch step, and of enrichment (sampled per step).
    steps = {name: seconds / count * 1e6 for name, seconds in consumer.sink.seconds.items()}
    enriched = consumer.enricher.stats.as_dict()  # type: ignore[attr-defined]
    steps["enrich (all steps)"] = sum(step["ns"] for step in enriched["steps"].values()) / count / 1000
    # CPU µs per event of each batch step: the process's CPU (chDB's threads included), so
    # a step's cost to a core shows even when other work slows the wall clock.
    cpu_steps = {name: seconds / count * 1e6 for name, seconds in ingest.cpu_seconds.items()}
    geo.close()
    return {
        "events": len(messages),
        "stored": stored,
        "wall_s": wall,
        "cpu_s": cpu,
        "events_per_s": len(messages) / wall,
        "events_per_cpu_s": len(messages) / cpu,
        "dead_letters": dict(consumer.stats.dead_letters),
        "us_per_event": wall / count * 1e6,
        "steps_us_per_event": steps,
        "steps_cpu_us_per_event": cpu_steps,
        "enriched_events": enriched["events"],
    }


def decode_us(messages: list[bytes]) -> float:
    """µs per event of decoding and validating alone (the consumer does it in a worker thread)."""
    decode = ClickDecoder().decode
    started = time.perf_counter()
    for message in messages:
        decode(message)
    return (time.perf_counter() - started) / len(messages) * 1e6


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ranked = sorted(runs, key=lambda run: run["events_per_s"])
    middle = dict(ranked[len(ranked) // 2])
    middle["runs_events_per_s"] = [round(run["events_per_s"]) for run in runs]
    middle["median_events_per_s"] = statistics.median(run["events_per_s"] for run in runs)
    middle["median_events_per_cpu_s"] = statistics.median(run["events_per_cpu_s"] for run in runs)
    return middle


def step_cell(run: dict[str, Any], name: str) -> str:
    wall, cpu = run["steps_us_per_event"].get(name), run["steps_cpu_us_per_event"].get(name)
    if wall is None:
        return ""
    return f"{wall:.2f} ({cpu:.2f})" if cpu is not None else f"{wall:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a database of its own")
    parser.add_argument(
        "--webhooks",
        action="store_true",
        help="every tenant has a click webhook: a redelivered batch reads its stored clicks back",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "consumer.json")
    args = parser.parse_args()

    messages = [event.to_json() for event in make_events(args.events, seed=1)]
    firsts, agains = [], []
    # chDB may still be writing a part when the run ends: a leftover file must not fail the bench.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as scratch:
        for number in range(args.runs):
            # One chDB engine per process: each run gets a database of its own on it.
            client = clickhouse.connect(f"chdb://{scratch}", f"bench{number}")
            clickhouse.migrate(client)
            firsts.append(asyncio.run(run(messages, client, args.batch, args.webhooks)))
            # The same events again, to a restarted consumer: it must store nothing.
            agains.append(asyncio.run(run(messages, client, args.batch, args.webhooks)))
            client.close()
    first, again = median_run(firsts), median_run(agains)
    result: dict[str, Any] = {
        **first,
        "decode_us_per_event": decode_us(messages),
        "redelivery": again,
        "redelivered_stored_total": again["stored"],
        "redelivery_events_per_s": again["median_events_per_s"],
        "batch": args.batch,
        "runs": args.runs,
        "webhooks": args.webhooks,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
    }

    hooks = "every tenant has a click webhook" if args.webhooks else "no click webhooks"
    print(
        f"consumer, {args.events:,} events in batches of {args.batch:,}, {hooks}, median of {args.runs} runs"
    )
    print("| measure | new events | redelivered events |")
    print("|---|---:|---:|")
    print(f"| events/s (wall) | {first['median_events_per_s']:,.0f} | {again['median_events_per_s']:,.0f} |")
    print(
        f"| events per CPU second (this process) | {first['median_events_per_cpu_s']:,.0f}"
        f" | {again['median_events_per_cpu_s']:,.0f} |"
    )
    print(f"| runs, events/s | {first['runs_events_per_s']} | {again['runs_events_per_s']} |")
    print(f"| events enriched | {first['enriched_events']:,} | {again['enriched_events']:,} |")
    print(f"| rows stored after the pass | {first['stored']:,} | {again['stored']:,} (must not grow) |")
    print(f"| µs per event, wall | {first['us_per_event']:.2f} | {again['us_per_event']:.2f} |")
    print(f"| decode and validate, µs/event | {result['decode_us_per_event']:.2f} | (same) |")
    print(
        f"| µs per event, CPU (this process) | {1e6 / first['median_events_per_cpu_s']:.2f}"
        f" | {1e6 / again['median_events_per_cpu_s']:.2f} |"
    )
    print("| step, µs/event wall (CPU) | new events | redelivered events |")
    for name in dict.fromkeys([*first["steps_us_per_event"], *again["steps_us_per_event"]]):
        cells = [step_cell(run, name) for run in (first, again)]
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    print(f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
