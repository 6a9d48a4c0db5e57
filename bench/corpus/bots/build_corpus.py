"""Rebuild corpus.jsonl.gz from the packages it is drawn from (see README.md beside this file).

Usage: unpack each package into one folder, then
    python bench/corpus/bots/build_corpus.py FOLDER

where FOLDER holds (as the package managers unpack them):
    crawleruseragents/crawler-user-agents.json    PyPI crawler-user-agents 1.67.0
    device_detector/tests/fixtures/upstream/*.yml  PyPI device-detector 6.5.1
    fake_useragent/data/browsers.jsonl             PyPI fake-useragent 2.2.0
    user-agents/dist/user-agents.json              npm user-agents 2.1.198
    top-user-agents/src/index.json                 npm top-user-agents 2.1.138

Each line of the output: {"ua", "label": "bot" | "person", "class", "source"}, one line per
distinct user agent (the first source to name it keeps it), sorted for stable diffs.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

# device-detector's client types. A browser is a person; an HTTP library or a feed reader
# is automated. Mail clients, media players, podcast apps and native apps without a web
# view are left out: whether they are "a person following a link" is not what a label can
# say from the user agent alone.
_LIBRARY_TYPES = {"library": "library", "feed reader": "feed_reader"}
# device-detector names these "browsers", but they are automation.
_AUTOMATED_BROWSERS = {"Headless Chrome", "PhantomJS", "Electron Fetch"}


def _add(out: dict[str, dict[str, str]], ua: str, label: str, klass: str, source: str) -> None:
    ua = ua.strip()
    if ua and ua not in out:
        out[ua] = {"ua": ua, "label": label, "class": klass, "source": source}


def build(root: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for entry in json.loads((root / "crawleruseragents/crawler-user-agents.json").read_text()):
        for ua in entry.get("instances", []):
            _add(out, ua, "bot", "crawler", "crawler-user-agents")
    fixtures = sorted((root / "device_detector/tests/fixtures/upstream").glob("*.yml"))
    for path in fixtures:
        if path.name.startswith("clienthints"):
            continue  # the same user agents again, with client hints we do not receive
        for case in yaml.load(path.read_text(), Loader=yaml.CSafeLoader) or []:
            ua = case["user_agent"]
            if "bot" in case:
                category = (case["bot"] or {}).get("category") or "bot"
                _add(out, ua, "bot", category.lower().replace(" ", "_"), "matomo-bots")
                continue
            client = case.get("client") if isinstance(case.get("client"), dict) else {}
            kind, name = client.get("type"), client.get("name", "")
            if kind == "browser" and name in _AUTOMATED_BROWSERS:
                _add(out, ua, "bot", "headless", "matomo-devices")
            elif kind == "browser":
                _add(out, ua, "person", "browser", "matomo-devices")
            elif kind == "mobile app" and ua.startswith("Mozilla/5.0 ("):
                # An app's web view: a person reading a link inside the app.
                _add(out, ua, "person", "in_app", "matomo-devices")
            elif kind in _LIBRARY_TYPES:
                _add(out, ua, "bot", _LIBRARY_TYPES[kind], "matomo-devices")
    for line in (root / "fake_useragent/data/browsers.jsonl").read_text().splitlines():
        _add(out, json.loads(line)["useragent"], "person", "browser", "fake-useragent")
    for entry in json.loads((root / "user-agents/dist/user-agents.json").read_text()):
        _add(out, entry["userAgent"], "person", "browser", "user-agents")
    for ua in json.loads((root / "top-user-agents/src/index.json").read_text()):
        _add(out, ua, "person", "browser", "top-user-agents")
    return out


def main() -> None:
    rows = build(Path(sys.argv[1]))
    text = "".join(json.dumps(rows[ua], ensure_ascii=False) + "\n" for ua in sorted(rows))
    # mtime 0: the same input gives the same bytes, so a rebuild shows no spurious change.
    with gzip.GzipFile(HERE / "corpus.jsonl.gz", "wb", compresslevel=9, mtime=0) as file:
        file.write(text.encode())


if __name__ == "__main__":
    main()
