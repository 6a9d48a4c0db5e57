"""How long a click takes to show in analytics in embedded mode (target: within 2 s).

    .venv/bin/python bench/click_latency_bench.py [--clicks 20]

Starts ``smartlinks up`` on a scratch data directory, then for each click: redirect once,
poll the link's analytics every 20 ms until the total grows, and record the delay.
Prints a table and writes bench/results/click_latency.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.product import start, stop  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "click_latency.json")
    args = parser.parse_args()
    delays: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        process, running = start(Path(scratch) / "data")
        try:
            auth = {"Authorization": f"Bearer {running.key}"}
            link = httpx.post(
                running.url + "/api/v1/links", headers=auth, json={"destination_url": "https://example.com/"}
            ).json()
            analytics = f"{running.url}/api/v1/links/{link['id']}/analytics"
            for n in range(1, args.clicks + 1):
                clicked = time.perf_counter()
                httpx.get(f"{running.url}/{link['code']}", headers={"User-Agent": "Mozilla/5.0 bench"})
                while httpx.get(analytics, headers=auth).json()["totals"]["total"] < n:
                    if time.perf_counter() - clicked > 30:
                        raise SystemExit("a click did not show within 30 s")
                    time.sleep(0.02)
                delays.append(time.perf_counter() - clicked)
        finally:
            stop(process)
    result = {
        "clicks": len(delays),
        "median_s": statistics.median(delays),
        "max_s": max(delays),
        "min_s": min(delays),
    }
    print("| clicks | median | max | min |")
    print("|---:|---:|---:|---:|")
    figures = " | ".join(f"{result[name]:.3f} s" for name in ("median_s", "max_s", "min_s"))
    print(f"| {len(delays)} | {figures} |")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
