"""How fast deliveries and conversions go from POST /api/v1/events into ClickHouse.

    .venv/bin/python bench/funnel_ingest_bench.py [--events 200000] [--batch 10000] [--clients 2]

Starts ``smartlinks up`` (everything embedded) in a temporary directory and sends
--events funnel events (90 % deliveries, 10 % conversions by campaign and contact) in
requests of --batch events from --clients concurrent clients. The clock runs from the
first request until the funnel consumer's metrics show every event inserted into
ClickHouse, so the figure is end to end: validation, the durable log, the consumer's
de-duplication, attribution and insert. Prints a table and writes
bench/results/funnel_ingest.json. The target is 20,000 events per second.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import options, print_rows, write  # noqa: E402

from tests.support.product import start, stop  # noqa: E402

TARGET_PER_S = 20_000
_INSERTED = re.compile(r'^smartlinks_funnel_rows_inserted_total\{type="([^"]+)"\} (\S+)$', re.M)


def events_of(request_no: int, batch: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for n in range(batch):
        contact = f"c-{request_no}-{n}"
        if n % 10:
            events.append(
                {
                    "type": "message.delivered",
                    "id": f"m-{request_no}-{n}",
                    "campaign": "bench",
                    "contact_id": contact,
                }
            )
        else:
            events.append(
                {
                    "type": "conversion", "id": f"o-{request_no}-{n}", "name": "purchase",
                    "campaign": "bench", "contact_id": contact, "value": "19.90", "currency": "EUR",
                }
            )  # fmt: skip
    return events


def inserted(client: httpx.Client) -> int:
    return int(sum(float(value) for _, value in _INSERTED.findall(client.get("/metrics").text)))


def main() -> None:
    args = options(__doc__, events=200_000, batch=10_000, clients=2)
    requests = args.events // args.batch
    bodies = [json.dumps({"events": events_of(n, args.batch)}).encode() for n in range(requests)]
    with tempfile.TemporaryDirectory(prefix="funnel-bench-") as tmp:
        process, running = start(Path(tmp) / "data", ready="/readyz")
        try:
            headers = {"Authorization": f"Bearer {running.key}", "Content-Type": "application/json"}
            with httpx.Client(base_url=running.url, headers=headers, timeout=300) as client:
                warm = json.dumps({"events": events_of(-1, 1000)}).encode()
                client.post("/api/v1/events", content=warm).raise_for_status()
                while inserted(client) < 1000:
                    time.sleep(0.1)
                base = inserted(client)
                answered: list[float] = []
                queue = list(range(requests))
                lock = threading.Lock()

                def send() -> None:
                    with httpx.Client(base_url=running.url, headers=headers, timeout=300) as own:
                        while True:
                            with lock:
                                if not queue:
                                    return
                                n = queue.pop()
                            begun = time.perf_counter()
                            response = own.post("/api/v1/events", content=bodies[n])
                            if response.status_code != 200 or response.json()["accepted"] != args.batch:
                                raise RuntimeError(
                                    f"request {n}: {response.status_code} {response.text[:300]}"
                                )
                            answered.append(time.perf_counter() - begun)

                started = time.perf_counter()
                threads = [threading.Thread(target=send) for _ in range(args.clients)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                accepted_s = time.perf_counter() - started
                while inserted(client) - base < requests * args.batch:
                    if time.perf_counter() - started > 600:
                        raise RuntimeError("the events did not all reach ClickHouse within 10 minutes")
                    time.sleep(0.05)
                stored_s = time.perf_counter() - started
        finally:
            stop(process)
    total = requests * args.batch
    results: dict[str, Any] = {
        "events": total,
        "batch": args.batch,
        "clients": args.clients,
        "accepted_per_s": total / accepted_s,
        "stored_per_s": total / stored_s,
        "request_seconds_median": sorted(answered)[len(answered) // 2],
        "target_per_s": TARGET_PER_S,
        "meets_target": total / stored_s >= TARGET_PER_S,
    }
    rows = [
        ("events accepted by the API", f"{results['accepted_per_s']:,.0f} events/s"),
        ("events in ClickHouse (end to end)", f"{results['stored_per_s']:,.0f} events/s"),
        (
            f"one request of {args.batch:,} events",
            f"{results['request_seconds_median'] * 1000:,.0f} ms median",
        ),
        ("target", f"{TARGET_PER_S:,} events/s: {'met' if results['meets_target'] else 'NOT met'}"),
    ]
    print_rows(rows)
    write("funnel_ingest", results)


if __name__ == "__main__":
    main()
