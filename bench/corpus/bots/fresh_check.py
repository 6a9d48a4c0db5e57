"""The detector on labelled user agents from outside the corpus: the fixtures of the Rust
crate isbot 0.1.3 (crates.io, MIT), which gathers six lists under one roof.

    .venv/bin/python bench/corpus/bots/fresh_check.py --fetch          # downloads the crate
    .venv/bin/python bench/corpus/bots/fresh_check.py --fixtures DIR   # its fixtures/ folder

The corpus's figures are what the goal is judged on; this is a second look, on user agents
the rules were never tuned on, labelled by other people with other policies:

- ``bots.txt``, ``browsers.txt``: the crate's own lists (165,000 browsers);
- ``myip-ms-live-bots.json``: myip.ms's list of user agents seen from crawling addresses;
- ``omrilotan-browsers.json``: the npm isbot's fixture of browsers;
- ``ua-parser-bots.json``, ``ua-parser-browsers.json``: uap-core's test user agents, split
  by whether uap-core names the device a "Spider" (so "browsers" holds apps' own HTTP
  clients, media players and tools too).

Each list's user agents the corpus already holds are dropped; the rest are split as the
corpus is (the first byte of the SHA-256 odd is held out). It prints, per list and half,
how many the detector calls bots: for a list of bots that is recall, for a list of people
one minus it is "people kept". ``--misses N`` lists N disagreements of each list's tune
half (never the held-out half's). Writes bench/results/bots_fresh.json.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import tarfile
import tempfile
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bench.bots_bench import CORPUS, held_out  # noqa: E402
from bench.report import print_rows, write  # noqa: E402
from smartlinks.bots.bots import BotDetector  # noqa: E402

CRATE = "https://static.crates.io/crates/isbot/isbot-0.1.3.crate"
CRATE_SHA256 = "f98d665d8689fd01bd1572c10fd58cf38a811f56c2d00b5ec5c0c50dc1eee956"
LISTS = {  # file: the label its user agents carry
    "bots.txt": "bot",
    "browsers.txt": "person",
    "myip-ms-live-bots.json": "bot",
    "omrilotan-browsers.json": "person",
    "ua-parser-bots.json": "bot",
    "ua-parser-browsers.json": "person",
}


def fetch(into: Path) -> Path:
    """The crate's fixtures/ folder, downloaded and checked against the pinned digest."""
    archive = into / "isbot.crate"
    with urllib.request.urlopen(CRATE) as response:
        archive.write_bytes(response.read())
    if hashlib.sha256(archive.read_bytes()).hexdigest() != CRATE_SHA256:
        sys.exit(f"{CRATE} is not the crate this script was written for (digest differs)")
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "isbot-0.1.3" / "fixtures"


def read_list(path: Path) -> set[str]:
    if path.suffix == ".json":
        return {ua.strip() for ua in json.loads(path.read_text(encoding="utf-8")) if ua.strip()}
    # One user agent a line, most of them in double quotes.
    lines = (line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    return {line[1:-1] if len(line) > 1 and line[0] == line[-1] == '"' else line for line in lines if line}


def check(fixtures: Path, misses: int) -> dict[str, dict[str, object]]:
    with gzip.open(CORPUS / "corpus.jsonl.gz", "rt", encoding="utf-8") as file:
        in_corpus = {json.loads(line)["ua"] for line in file}
    detector = BotDetector(cache_size=0)
    figures: dict[str, dict[str, object]] = {}
    for name, label in LISTS.items():
        fresh = sorted(read_list(fixtures / name) - in_corpus)
        entry: dict[str, object] = {"label": label, "new_user_agents": len(fresh)}
        for half in ("tune", "held_out"):
            uas = [ua for ua in fresh if held_out(ua) == (half == "held_out")]
            verdicts = [detector.verdict("GET", ua) for ua in uas]
            bots = sum(1 for verdict in verdicts if verdict.kind)
            right = bots if label == "bot" else len(uas) - bots
            entry[half] = {
                "user_agents": len(uas),
                "taken_for_bots": bots,
                "recall" if label == "bot" else "people_kept": right / len(uas) if uas else None,
                "reasons": dict(Counter(verdict.reason for verdict in verdicts if verdict.kind)),
            }
            if half == "tune" and misses:
                wrong = [
                    (ua, verdict.reason)
                    for ua, verdict in zip(uas, verdicts, strict=True)
                    if bool(verdict.kind) != (label == "bot")
                ]
                for ua, reason in wrong[:misses]:
                    print(f"  {name:<24} {reason or 'person':<14} {ua[:120]}")
        figures[name] = entry
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--fetch", action="store_true", help="download the crate (the only step that does)")
    where.add_argument("--fixtures", type=Path, help="the crate's fixtures/ folder, unpacked")
    parser.add_argument("--misses", type=int, default=0, help="list N disagreements of each tune half")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        figures = check(fetch(Path(scratch)) if args.fetch else args.fixtures, args.misses)
    rows = []
    for name, entry in figures.items():
        for half in ("tune", "held_out"):
            part = entry[half]
            assert isinstance(part, dict)
            measure = "recall" if entry["label"] == "bot" else "people kept"
            value = part.get("recall", part.get("people_kept"))
            shown = "-" if value is None else f"{value:.4f}"
            rows.append(
                (
                    f"{name} ({'bots' if entry['label'] == 'bot' else 'people'}), {half}",
                    f"{part['user_agents']:>7} new, {part['taken_for_bots']:>6} taken for bots,"
                    f" {measure} {shown}",
                )
            )
    print_rows(rows)
    write("bots_fresh", {"crate": CRATE, "lists": figures})


if __name__ == "__main__":
    main()
