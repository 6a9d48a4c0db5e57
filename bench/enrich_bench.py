"""How fast the consumer's enrichment runs, on a realistic mix of click events.

    .venv/bin/python bench/enrich_bench.py [--events 200000] [--seed 1]

The mix: a third of the clicks come from in-app browsers (Instagram, Facebook, TikTok on
iOS and Android) whose user agents carry build numbers that make nearly each one unique,
so neither cache helps them; the rest come from the ~100 user agents of the test table
(tests/consumer/user_agents.json): people's browsers, and 7% preview fetchers, crawlers,
scripts and empty user agents. IPs are random public IPv4 addresses, so the
GeoIP lookup is never cached either. Prints a table and writes bench/results/enrich.json.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consumer.enrich import Enricher, GeoLocator  # noqa: E402
from schemas.events import ClickEvent  # noqa: E402
from smartlinks.ids import new_id  # noqa: E402

# The common user agents are the test table's: people's browsers (in-app ones included)
# and, far fewer, preview fetchers, crawlers, scripts and empty user agents.
TABLE = json.loads((ROOT / "tests" / "consumer" / "user_agents.json").read_text())
PEOPLE = [case["ua"] for case in TABLE if case["group"] in ("browser", "in_app", "tv", "app")]
BOTS = [case["ua"] for case in TABLE if case["group"] in ("preview", "crawler", "cli", "empty")]
BOT_SHARE = 0.07

IOS_DEVICES = [
    "iPhone12,1",
    "iPhone13,2",
    "iPhone14,2",
    "iPhone14,5",
    "iPhone15,2",
    "iPhone15,3",
    "iPhone16,1",
]
IOS_VERSIONS = ["16_6", "16_7_2", "17_0_3", "17_1", "17_1_2", "17_2"]
ANDROID_MODELS = [
    ("samsung", "SM-S918B", "dm3q", "qcom"),
    ("samsung", "SM-A536B", "a53x", "s5e8825"),
    ("samsung", "SM-G991B", "o1s", "exynos2100"),
    ("Xiaomi", "2201117TY", "spes", "qcom"),
    ("Google", "Pixel 7", "panther", "gs201"),
    ("OnePlus", "CPH2449", "OP5958L1", "qcom"),
]
ANDROID_VERSIONS = [("11", "30"), ("12", "31"), ("13", "33"), ("14", "34")]
REFERERS = [
    "https://www.google.com/",
    "https://l.facebook.com/",
    "https://t.co/",
    "https://www.linkedin.com/feed/",
    "android-app://com.google.android.gm/",
    "https://mail.google.com/mail/u/0/",
]


def in_app_ua(rng: random.Random) -> str:
    """A fresh in-app browser user agent; the build numbers make it nearly unique."""
    kind = rng.randrange(5)
    build = f"{rng.randrange(300, 320)}.0.0.{rng.randrange(10, 60)}.{rng.randrange(100, 120)}"
    serial = rng.randrange(500_000_000, 560_000_000)
    if kind < 2:  # iOS
        device, version = rng.choice(IOS_DEVICES), rng.choice(IOS_VERSIONS)
        base = (
            f"Mozilla/5.0 (iPhone; CPU iPhone OS {version} like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Mobile/15E148"
        )
        if kind == 0:
            screen = "en_US; en; scale=3.00; 1170x2532"
            return f"{base} Instagram {build} ({device}; iOS {version}; {screen}; {serial})"
        return (
            f"{base} [FBAN/FBIOS;FBAV/{build};FBBV/{serial};FBDV/{device};FBMD/iPhone;FBSN/iOS;"
            f"FBSV/{version.replace('_', '.')};FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/{serial + 7}]"
        )
    brand, model, codename, chip = rng.choice(ANDROID_MODELS)
    android, api = rng.choice(ANDROID_VERSIONS)
    chrome = f"{rng.randrange(115, 121)}.0.{rng.randrange(5700, 6100)}.{rng.randrange(50, 200)}"
    base = (
        f"Mozilla/5.0 (Linux; Android {android}; {model} Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
        f"(KHTML, like Gecko) Version/4.0 Chrome/{chrome} Mobile Safari/537.36"
    )
    if kind == 2:
        return (
            f"{base} Instagram {build} Android ({api}/{android}; 420dpi; 1080x2220; {brand}; {model}; "
            f"{codename}; {chip}; en_US; {serial})"
        )
    if kind == 3:
        return f"{base} [FB_IAB/FB4A;FBAV/{build};]"
    return (
        f"{base} trill_{rng.randrange(300000, 330000)} JsSdk/1.0 NetType/WIFI Channel/googleplay "
        f"AppName/trill app_version/32.{rng.randrange(0, 9)}.{rng.randrange(0, 9)} ByteLocale/en "
        f"Region/US AppId/1180 BytedanceWebview/d8a21c6"
    )


def public_ip(rng: random.Random) -> str:
    while True:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.is_global:
            return str(address)


def pooled_ip(rng: random.Random, blocks: list[str]) -> str:
    return f"{rng.choice(blocks)}.{rng.randrange(1, 255)}"


def make_events(count: int, seed: int, ip_pool: int = 0) -> list[ClickEvent]:
    rng = random.Random(seed)
    blocks = [public_ip(rng).rpartition(".")[0] for _ in range(ip_pool)]
    now = int(time.time() * 1000)
    events = []
    for _ in range(count):
        roll = rng.random()
        if roll < 1 / 3:
            ua = in_app_ua(rng)
        elif rng.random() < BOT_SHARE:
            ua = rng.choice(BOTS)
        else:
            ua = rng.choice(PEOPLE)
        cookie = None
        if rng.random() < 0.4:
            cookie = "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
                for _ in range(22)
            )
        events.append(
            ClickEvent(
                event_id=new_id(),
                ts=now - rng.randrange(0, 3_600_000),
                tenant_id="t_bench",
                link_id=f"l{rng.randrange(1000)}",
                code=f"c{rng.randrange(1000)}",
                campaign="spring" if rng.random() < 0.5 else None,
                contact_id=f"contact-{rng.randrange(1_000_000)}" if rng.random() < 0.5 else None,
                method="HEAD" if rng.random() < 0.01 else "GET",
                ip=pooled_ip(rng, blocks) if blocks else public_ip(rng),
                user_agent=ua,
                referer=rng.choice(REFERERS) if rng.random() < 0.3 else "",
                accept_language="en-US,en;q=0.9",
                visitor_cookie=cookie,
                collect_metadata=rng.random() < 0.9,
            )
        )
    return events


def run_once(events: list[ClickEvent], geo: GeoLocator) -> dict[str, Any]:
    """Enrich every event with a fresh enricher (cold caches), timed by wall and CPU clock."""
    enricher = Enricher(geo, b"bench-key" * 4)
    cpu_started = time.process_time()
    started = time.perf_counter_ns()
    bots = 0
    for event in events:
        bots += enricher.enrich(event).is_bot
    elapsed_ns = time.perf_counter_ns() - started
    cpu_seconds = time.process_time() - cpu_started
    count = len(events)
    stats = enricher.stats.as_dict()
    return {
        "bots": bots,
        "seconds": elapsed_ns / 1e9,
        "events_per_second": count / (elapsed_ns / 1e9),
        "us_per_event": elapsed_ns / count / 1000,
        # CPU time of this process: what one core spends, even while other processes
        # share the machine and stretch the wall clock.
        "cpu_seconds": cpu_seconds,
        "events_per_cpu_second": count / cpu_seconds,
        "cpu_us_per_event": cpu_seconds / count * 1e6,
        "steps": {
            name: {
                "us_per_call": step["us_per_call"],
                "us_per_event": step["ns"] / count / 1000,
                "share": step["ns"] / elapsed_ns,
            }
            for name, step in stats["steps"].items()
        },
        "slow_path_calls": enricher.bots.slow_calls,
        "ua_resolver": enricher.agents.resolver,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ip-pool",
        type=int,
        default=0,
        help="draw IPs from this many random /24 networks, as carriers do (default: all IPs random)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs; the fastest is reported")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "enrich.json")
    args = parser.parse_args()

    events = make_events(args.events, args.seed, args.ip_pool)
    distinct = len({event.user_agent for event in events})
    runs = []
    with GeoLocator() as geo:
        for _ in range(args.repeat):
            # A fresh reader too, so no run inherits another's remembered /24 blocks.
            with GeoLocator(geo.path) as fresh:
                runs.append(run_once(events, fresh))
        geo_mode = geo.mode
    best = min(runs, key=lambda run: run["cpu_seconds"])
    result = {
        "events": args.events,
        "ip_pool": args.ip_pool,
        "distinct_user_agents": distinct,
        **best,
        "runs_cpu_us_per_event": [round(run["cpu_us_per_event"], 2) for run in runs],
        "geo_mode": geo_mode,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average": os.getloadavg(),
    }

    print(f"{args.events:,} events, {distinct:,} distinct user agents, {best['bots']:,} bots")
    print(f"ua-parser resolver: {best['ua_resolver']}; GeoIP reader: {geo_mode}")
    print(f"the slow path (crawler lists, browser shape) was needed {best['slow_path_calls']:,} times")
    print(f"fastest of {args.repeat} runs (CPU µs/event per run: {result['runs_cpu_us_per_event']})\n")
    print(f"{'step (wall clock)':<18}{'µs/call':>10}{'µs/event':>10}{'share':>8}")
    for name, step in best["steps"].items():
        print(f"{name:<18}{step['us_per_call']:>10.2f}{step['us_per_event']:>10.2f}{step['share']:>8.1%}")
    steps_total = sum(step["us_per_event"] for step in best["steps"].values())
    print(f"{'sum of steps':<18}{'':>10}{steps_total:>10.2f}   (sampled, 1 event in 16)")
    print(
        f"{'measured total':<18}{'':>10}{best['us_per_event']:>10.2f}   (wall clock, row building included)"
    )
    print(
        f"\n{best['events_per_second']:,.0f} events/s wall clock; "
        f"{best['events_per_cpu_second']:,.0f} events per CPU second "
        f"({best['cpu_us_per_event']:.2f} µs CPU per event)"
    )

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
