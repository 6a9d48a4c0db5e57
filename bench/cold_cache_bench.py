"""Cold cache: a flood of distinct existing codes, none of them cached, against the store.

    .venv/bin/python bench/cold_cache_bench.py [--links 200000] [--engines sqlite,postgres]
        [--connections 64] [--max-seconds 300]

For each engine, creates --links links in the store directly (one tenant, 1,000 a
transaction), starts the product with nothing cached on CPU 0 and floods it from CPU 1 with
wrk (one thread, --connections connections, bench/cold_codes.lua) asking for every code once,
in a random order. So every request is a cache miss and the rate is the rate at which the
redirector turns misses into redirects: the store's lookups, their batching, their rows.

- sqlite: ``smartlinks up`` (embedded: API, redirector and consumer in one process, its
  consumer on the same core), the store in its data directory. The flood starts once the
  change relay has drained the outbox of the created links.
- postgres: ``smartlinks redirector`` with ``SMARTLINKS_DATABASE_URL`` on a throwaway local
  server, publishing its clicks to a local Kafka broker as in bench/redirect_bench.py (the
  role needs Kafka: it has no in-process bus). Both are started as the tests start them, on
  CPU 1 beside wrk.

Reports redirects/s, p50/p99, answers other than 302 (must be 0), the store lookups the
cache made and the mean codes per lookup (from /metrics), prints a table and writes
bench/results/cold_cache.json. A second flood of the same codes, all cached by then, is the
reference: what the same requests cost without the store. The goal (issue 13) is ≥ 5,000 redirects/s on both.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from redirect_bench import SMARTLINKS, Bench, BenchError, ensure_tools, free_port, parse_wrk, request
from report import options, write

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smartlinks.models import NewLink  # noqa: E402
from smartlinks.settings import Settings  # noqa: E402
from smartlinks.store import open_store  # noqa: E402

LUA = Path(__file__).resolve().parent / "cold_codes.lua"
GOAL = 5_000  # redirects/s, issue 13
BATCH = 1_000  # links a transaction while filling the store


@dataclass
class Result:
    config: str
    links: int
    redirects_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_302: int  # any answer but a redirect: a 404 or 5xx means a lookup went wrong
    socket_errors: str
    store_lookups: int
    cache_misses: int
    mean_batch: float  # codes a store lookup resolved, on average
    # The server's CPU (all its threads) per request, and its share of a core during the
    # flood: on a machine where other work takes the core, the rate falls but this does not.
    server_cpu_us: float
    server_cpu_share: float
    meets_goal: bool | None  # None for the reference: the goal is the cold flood's


async def fill(settings: Settings, links: int) -> list[str]:
    """Create ``links`` links of one new tenant; their codes."""
    store = open_store(settings)
    await store.open()
    try:
        tenant = await store.create_tenant("cold-cache-bench")
        codes: list[str] = []
        for start in range(0, links, BATCH):
            news = [
                NewLink(tenant.id, f"https://shop.example/p/{n}?utm_source=cold", campaign="cold")
                for n in range(start, min(start + BATCH, links))
            ]
            created = await store.create_links(tenant.id, news)
            codes.extend(link.code for link in created if not isinstance(link, Exception))
        return codes
    finally:
        await store.close()


def create_links(settings: Settings, links: int, tmp: Path) -> Path:
    """Fill the store; the file of its codes, shuffled, for the wrk script."""
    started = time.monotonic()
    codes = asyncio.run(fill(settings, links))
    print(f"  {len(codes):,} links created in {time.monotonic() - started:.1f} s", flush=True)
    random.Random(13).shuffle(codes)
    path = tmp / "codes.txt"
    path.write_text("\n".join(codes) + "\n")
    return path


def metrics(port: int) -> dict[str, float]:
    """The cache's counters from /metrics."""
    text = request(port, "GET", "/metrics")[2].decode()
    found = {
        "store_lookups": re.search(r"^smartlinks_link_cache_store_lookups_total (\S+)$", text, re.M),
        "misses": re.search(r'^smartlinks_link_cache_lookups_total\{result="miss"\} (\S+)$', text, re.M),
    }
    missing = [name for name, match in found.items() if match is None]
    if missing:
        raise BenchError(f"/metrics lacks the link cache's {', '.join(missing)}")
    return {name: float(match[1]) for name, match in found.items() if match}


def server_pid(port: int) -> int:
    """The process serving ``port``: the one started with it in its environment."""
    wanted = f"SMARTLINKS_PORT={port}".encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if wanted in (proc / "environ").read_bytes().split(b"\0"):
                    return int(proc.name)
            except OSError:  # gone, or not ours to read
                continue
    raise BenchError(f"no process with {wanted.decode()}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_for_empty_outbox(path: Path, seconds: float) -> None:
    """Until the embedded change relay has published the created links (it would otherwise
    mirror them into ClickHouse on the redirector's core during the flood)."""
    deadline = time.monotonic() + seconds
    with sqlite3.connect(path, timeout=10) as conn:
        while (left := conn.execute("SELECT count(*) FROM link_outbox").fetchone()[0]) > 0:
            if time.monotonic() > deadline:
                raise BenchError(f"the change relay left {left} changes after {seconds:g} s")
            time.sleep(0.5)


def flood(bench: Bench, config: str, port: int, codes: Path, links: int, cold: bool = True) -> Result:
    pid = server_pid(port)
    before, cpu_before, started = metrics(port), cpu_seconds(pid), time.monotonic()
    cmd = ["taskset", "-c", bench.wrk_cpu, "wrk", "-t1", f"-c{bench.args.connections}"]
    cmd += [f"-d{bench.args.max_seconds:g}s", "--latency", "-s", str(LUA), f"http://127.0.0.1:{port}/"]
    env = {**os.environ, "CODES_FILE": str(codes)}
    timeout = bench.args.max_seconds + 60
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    cpu, wall = cpu_seconds(pid) - cpu_before, time.monotonic() - started
    out = done.stdout + done.stderr
    run = parse_wrk(config, out)
    counts = re.search(r"codes: (\d+) answered: (\d+) status_302: (\d+)", out)
    if not counts:
        raise BenchError(f"the wrk script printed no counts:\n{out}")
    total, answered, redirects = map(int, counts.groups())
    if answered < total:
        raise BenchError(f"{config}: {answered:,} of {total:,} codes answered in {timeout - 60:g} s")
    after = metrics(port)
    lookups, misses = (int(after[name] - before[name]) for name in ("store_lookups", "misses"))
    result = Result(
        config=config,
        links=links,
        redirects_per_s=run.requests_per_s,
        p50_ms=run.p50_ms,
        p99_ms=run.p99_ms,
        requests=run.requests,
        non_302=answered - redirects,
        socket_errors=run.socket_errors,
        store_lookups=lookups,
        cache_misses=misses,
        mean_batch=round(misses / lookups, 1) if lookups else 0.0,
        server_cpu_us=round(cpu / run.requests * 1e6, 1),
        server_cpu_share=round(cpu / wall, 2),
        meets_goal=run.requests_per_s >= GOAL and answered == redirects if cold else None,
    )
    print(
        f"  {config}: {result.redirects_per_s:,.0f} redirects/s, {lookups:,} store lookups,"
        f" {result.server_cpu_us} µs of server CPU a redirect ({result.server_cpu_share:.0%} of a core)",
        flush=True,
    )
    return result


def cache_size(links: int) -> dict[str, str]:
    """Room for every link, so the second pass is all hits."""
    return {"SMARTLINKS_LINK_CACHE_SIZE": str(max(links, Settings().link_cache_size))}


def floods(bench: Bench, config: str, port: int, codes: Path, links: int) -> list[Result]:
    """The cold flood, then the same codes again, all cached now: the difference is what a
    miss costs."""
    cold = flood(bench, config, port, codes, links)
    return [cold, flood(bench, config + ", cached", port, codes, links, cold=False)]


def embedded(bench: Bench, links: int) -> list[Result]:
    print("sqlite: smartlinks up", flush=True)
    data = bench.tmp / "embedded"
    settings = Settings(data_dir=data)
    codes = create_links(settings, links, bench.tmp)
    port = free_port()
    env = {**os.environ, "SMARTLINKS_DATA_DIR": str(data), "SMARTLINKS_PORT": str(port), **cache_size(links)}
    env.pop("SMARTLINKS_DATABASE_URL", None)
    env.pop("SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS", None)
    with bench.server("embedded", [SMARTLINKS, "up"], port, "/healthz", env):
        wait_for_empty_outbox(settings.sqlite_path, bench.args.max_seconds)
        return floods(bench, "sqlite, smartlinks up", port, codes, links)


def on_postgres(bench: Bench, links: int) -> list[Result]:
    from tests.support.kafka import local_kafka
    from tests.support.postgres import local_postgres

    print("postgres: smartlinks redirector on Kafka", flush=True)
    with local_postgres(bench.tmp / "pg") as server, local_kafka(bench.tmp / "kafka") as broker:
        settings = Settings(data_dir=bench.tmp / "pg-fill", database_url=server.dsn)
        codes = create_links(settings, links, bench.tmp)
        port = free_port()
        env = {
            **os.environ,
            "SMARTLINKS_DATABASE_URL": server.dsn,
            "SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "SMARTLINKS_SECRET_KEY": "bench",
            "SMARTLINKS_DATA_DIR": str(bench.tmp / "redirector"),
            "SMARTLINKS_PORT": str(port),
            **cache_size(links),
        }
        with bench.server("redirector", [SMARTLINKS, "redirector"], port, "/readyz", env):
            return floods(bench, "postgres, smartlinks redirector", port, codes, links)


def report(results: list[Result]) -> None:
    print(
        f"\n| {'configuration':<40} | {'links':>7} | {'redirects/s':>11} | {'p50':>10} | {'p99':>10} |"
        f" non-302 | store lookups | codes/lookup | CPU µs/redirect | core share | ≥ {GOAL:,}/s |"
    )
    print(
        f"|{'-' * 42}|{'-' * 8}:|{'-' * 12}:|{'-' * 11}:|{'-' * 11}:|{'-' * 8}:|{'-' * 14}:|{'-' * 13}:"
        f"|{'-' * 16}:|{'-' * 11}:|{'-' * 10}|"
    )
    for r in results:
        print(
            f"| {r.config:<40} | {r.links:>7,} | {r.redirects_per_s:>11,.0f} | {r.p50_ms:>7.2f} ms |"
            f" {r.p99_ms:>7.2f} ms | {r.non_302:>7,} | {r.store_lookups:>13,} | {r.mean_batch:>12.1f} |"
            f" {r.server_cpu_us:>15.1f} | {r.server_cpu_share:>10.0%} |"
            f" {'-' if r.meets_goal is None else 'yes' if r.meets_goal else 'NO':<8} |"
        )


def main() -> int:
    args = options(__doc__, links=200_000, engines="sqlite,postgres", connections=64, max_seconds=300.0)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds: the servers are stopped
    runs = {"sqlite": embedded, "postgres": on_postgres}
    engines = args.engines.split(",")
    if unknown := set(engines) - set(runs):
        print(f"cold_cache_bench: unknown engines {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    try:
        ensure_tools()
        wrk_cpu = "1" if (os.cpu_count() or 1) >= 2 else "0"
        # This process and what it starts (PostgreSQL, Kafka) beside wrk: the server under
        # test is pinned to CPU 0, its own.
        os.sched_setaffinity(0, {int(wrk_cpu)})
        if (load := os.getloadavg()[0]) > 0.5:
            print(f"warning: load average {load:.2f}: other work shares the CPUs, figures will suffer")
        with tempfile.TemporaryDirectory(prefix="cold-cache-bench-") as tmp:
            bench = Bench(args, Path(tmp), wrk_cpu)
            results = [result for engine in engines for result in runs[engine](bench, args.links)]
    except (BenchError, KeyboardInterrupt) as exc:  # the servers are stopped by now
        print(f"cold_cache_bench: {exc or 'interrupted'}", file=sys.stderr)
        return 1
    report(results)
    doc = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_before": round(load, 2),
        "goal_redirects_per_s": GOAL,
        "wrk": f"-t1 -c{args.connections} --latency -s bench/cold_codes.lua (each code once)",
        "results": [asdict(r) for r in results],
    }
    write("cold_cache", doc)
    print(f"load average now {os.getloadavg()[0]:.2f}")
    return 0 if all(r.meets_goal for r in results if r.meets_goal is not None) else 1


if __name__ == "__main__":
    sys.exit(main())
