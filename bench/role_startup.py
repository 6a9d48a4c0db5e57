"""What each role costs to start: modules imported, memory, time until its app is built.

For each role (``smartlinks redirector|api|consumer|analytics|up``) a fresh interpreter
imports what that command imports and builds its ASGI app, without serving, then reports
``len(sys.modules)``, its RSS, its CPU time and which heavy third-party or sibling packages
it pulled in. The wall time is from spawning the interpreter to that report, so it includes Python's own
start; the median of ``--runs`` runs is kept. It measures the tree it sits in (its root goes
first on ``PYTHONPATH``). Run it with ``.venv/bin/python bench/role_startup.py``; it writes
bench/results/role_startup.json and prints a table.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import write

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.role_imports import CLIENTS, NOT_LOADED  # noqa: E402

ROLES = ("redirector", "api", "consumer", "analytics", "up")
# Packages a role should import only when it runs them: the redirector none of these.
WATCHED = sorted(set().union(*NOT_LOADED.values()) | CLIENTS)

# Runs in the child: import what the command imports, build its app, report. Kept to the
# public entry points so the numbers follow whatever the CLI does.
CHILD = """
import os, sys, time
started = time.perf_counter()
import uvicorn  # what the command's serving code imports before it builds the app
from roles import cli
from smartlinks import http_server
from smartlinks.settings import Settings
settings = Settings.from_env()
app = cli.build_app(settings, cli.ROLES if sys.argv[1] == "up" else cli.PARTS[sys.argv[1]])
built = time.perf_counter() - started
cpu = os.times().user + os.times().system
rss_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
top = {name.partition(".")[0] for name in sys.modules}
report = {"modules": len(sys.modules), "rss_kb": rss_kb, "in_process_s": built, "cpu_s": cpu}
print(repr({**report, "top": sorted(top)}))
"""


def run_once(role: str, data_dir: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTLINKS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env["SMARTLINKS_DATA_DIR"] = str(data_dir)
    env["SMARTLINKS_SECRET_KEY"] = "bench-" + "0" * 32
    if role != "up":
        # Nothing connects while the app is built; the parts just need to be told they are apart.
        env["SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:9"
        env["SMARTLINKS_CLICKHOUSE_URL"] = "http://127.0.0.1:9"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, role], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    wall = time.perf_counter() - started
    process.stdout.read()
    if process.wait() != 0 or not line:
        raise RuntimeError(f"building {role} failed (exit {process.returncode})")
    report: dict[str, object] = eval(line)  # our own child's repr of plain data
    report["wall_s"] = wall
    return report


def measure(role: str, runs: int) -> dict[str, object]:
    reports = []
    with tempfile.TemporaryDirectory(prefix=f"role-{role}-") as scratch:
        for _ in range(runs):
            reports.append(run_once(role, Path(scratch)))
    top = reports[0]["top"]
    assert isinstance(top, list)
    return {
        "role": role,
        "modules": reports[0]["modules"],
        "rss_mb": round(statistics.median(float(r["rss_kb"]) for r in reports) / 1024, 1),  # type: ignore[arg-type]
        "wall_s": round(statistics.median(float(r["wall_s"]) for r in reports), 3),  # type: ignore[arg-type]
        "in_process_s": round(statistics.median(float(r["in_process_s"]) for r in reports), 3),  # type: ignore[arg-type]
        # CPU time of the child (Python's own start included): steadier than wall time on a busy machine.
        "cpu_s": round(statistics.median(float(r["cpu_s"]) for r in reports), 3),  # type: ignore[arg-type]
        "imports": [name for name in WATCHED if name in top],
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per role; the median is kept")
    parser.add_argument("--roles", nargs="+", choices=ROLES, default=list(ROLES))
    args = parser.parse_args()

    results = [measure(role, args.runs) for role in args.roles]
    heading = f"{'modules':>7} {'RSS MB':>7} {'wall s':>7} {'import+build s':>14} {'CPU s':>6}"
    print(f"{'role':<11} {heading}  imports")
    for r in results:
        imports = ", ".join(r["imports"]) or "-"  # type: ignore[arg-type]
        figures = (
            f"{r['modules']:>7} {r['rss_mb']:>7} {r['wall_s']:>7} {r['in_process_s']:>14} {r['cpu_s']:>6}"
        )
        print(f"{r['role']:<11} {figures}  {imports}")
    write(
        "role_startup",
        {"when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), "results": results},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
