"""What every benchmark here shares: timing a call, describing the machine, printing the
figures as a table and writing them to ``bench/results/<name>.json``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def options(doc: str | None, **defaults: Any) -> argparse.Namespace:
    """The benchmark's command line: ``--name`` for each keyword, typed by its default (int,
    float, str, Path); a type instead of a value (``data=Path``) is an option without one.
    ``--help`` prints ``doc``, where each benchmark explains its options."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in defaults.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(default, type):
            parser.add_argument(flag, type=default)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    return parser.parse_args()


def machine() -> dict[str, Any]:
    """The machine a figure was measured on: it means little without it."""
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def measure(call: Callable[[], object], repeat: int) -> dict[str, float]:
    """Median, min and max milliseconds of ``repeat`` calls, after one to warm caches (as
    a dashboard that is in use has them)."""
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times)}


def print_rows(rows: Iterable[tuple[str, str]]) -> None:
    """Name/value rows, the names aligned."""
    rows = list(rows)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def print_timings(results: dict[str, dict[str, float]]) -> None:
    """The table of ``measure`` results, one query a row."""
    width = max(map(len, results))
    print(f"\n{'query':<{width}}  median ms   min ms   max ms")
    for name, ms in results.items():
        print(f"{name:<{width}}  {ms['median_ms']:9.1f} {ms['min_ms']:8.1f} {ms['max_ms']:8.1f}")


def write(name: str, payload: dict[str, Any], path: Path | None = None) -> Path:
    """``payload`` (with the machine added) as bench/results/<name>.json, or ``path``; says where."""
    path = path or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**payload, "machine": machine()}, indent=2, default=str) + "\n")
    print(f"\nwrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path
