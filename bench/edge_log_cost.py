"""The CPU the edge log adds to one redirect, measured in-process.

The real ``RedirectEdge`` serves a cached link to 64 concurrent requests per event-loop
turn (as 64 keep-alive connections would), once with the real ``EventLog`` and once with a
log that writes nothing (the edge as it was before the log: the click handed on in memory).
The difference per redirect is what the log costs. ``bench/redirect_bench.py`` runs it
and reports it beside the HTTP figures; it also runs alone:
``.venv/bin/python bench/edge_log_cost.py``.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redirector.app import create_redirector  # noqa: E402
from redirector.cache import LinkCache  # noqa: E402
from smartlinks.eventlog.writer import EventLog  # noqa: E402
from smartlinks.models import ResolvedLink  # noqa: E402
from smartlinks.settings import Settings  # noqa: E402

CONCURRENCY = 64
LINK = ResolvedLink(
    "0" * 32, "t" * 32, "abcd123", "https://example.com/landing?utm_source=x", None, None, None, True
)
UA = b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile Safari"


class InMemoryLog:
    """What the edge did before the log: hand the encoded click on in memory, resolve at once."""

    def __init__(self) -> None:
        self.count = 0
        self._done: asyncio.Future[None] | None = None

    def append(self, line: bytes) -> asyncio.Future[None]:
        self.count += 1
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
            self._done.set_result(None)
        return self._done


async def _resolve(codes: list[str]) -> dict[str, ResolvedLink]:
    return {LINK.code: LINK} if LINK.code in codes else {}


def _scope() -> dict[str, Any]:
    return {
        "type": "http", "method": "GET", "path": "/" + LINK.code, "query_string": b"",
        "client": ("203.0.113.9", 50000),
        "headers": [(b"host", b"sl.example"), (b"user-agent", UA), (b"accept-language", b"en-US"),
                    (b"cookie", b"sl_v=" + b"a" * 32)],
    }  # fmt: skip


async def _run(click_log: Any, redirects: int) -> float:
    cache = LinkCache(_resolve, 1000, 3600, 5)
    await cache.get(LINK.code)
    edge = create_redirector(Settings(), cache, click_log, b"k" * 32, routes=[])
    scope = _scope()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    waves = redirects // CONCURRENCY
    gc.collect()
    started = time.process_time()
    for _ in range(waves):
        await asyncio.gather(*[edge(scope, receive, send) for _ in range(CONCURRENCY)])
    return (time.process_time() - started) / (waves * CONCURRENCY) * 1e6


def measure(redirects: int = 200_000, rounds: int = 5) -> dict[str, float]:
    """Median µs of CPU per redirect: in memory, with the log (default fsync), with fsync=0."""
    results: dict[str, list[float]] = {"in_memory_us": [], "edge_log_us": [], "edge_log_fsync0_us": []}
    with tempfile.TemporaryDirectory(prefix="edge-log-cost-") as tmp:
        uvloop.run(_run(InMemoryLog(), redirects // 4))  # warm-up
        for n in range(rounds):

            async def one_round(n: int = n) -> None:
                results["in_memory_us"].append(await _run(InMemoryLog(), redirects))
                for name, fsync_ms in (("edge_log_us", 1000), ("edge_log_fsync0_us", 0)):
                    click_log = EventLog(Path(tmp) / f"{name}-{n}", fsync_ms=fsync_ms)
                    click_log.open()
                    results[name].append(await _run(click_log, redirects))
                    await click_log.close()

            uvloop.run(one_round())
    medians = {name: sorted(values)[len(values) // 2] for name, values in results.items()}
    medians["log_cost_us"] = medians["edge_log_us"] - medians["in_memory_us"]
    medians["log_cost_fsync0_us"] = medians["edge_log_fsync0_us"] - medians["in_memory_us"]
    return {name: round(value, 2) for name, value in medians.items()}


if __name__ == "__main__":
    figures = measure()
    print("| edge (in-process, 64 concurrent, median of 5 x 200k) | CPU per redirect |")
    print("|---|---:|")
    for name, value in figures.items():
        print(f"| {name} | {value:.2f} µs |")
