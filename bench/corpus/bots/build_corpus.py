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

Each line of the output: {"ua", "label": "bot" | "person", "class", "source", "source_label"},
one line per distinct user agent (the first source to name it keeps it), sorted for stable
diffs. ``label`` is the corpus's label policy (README.md, "Label policy"): where the source's
own label (``source_label``) and the policy part, the policy decides, by the source's
metadata or a token that names the class, the same on both halves of the split.
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

# The label policy (README.md, "Label policy") for the two sources whose labels are a
# parser's, decided by the source's metadata or a token that names the class, never by
# what the detector says, and the same on both halves of the split.
#
# A translation or document proxy appends its name to the user agent of the person it
# fetches for: ",gzip(gfe) (via translate.google.com)", "(via docs.google.com/viewer)",
# "(via babelfish.yahoo.com)". A host, no scheme: "(via http://www.tineye.com/)" is a
# crawler's contact address.
_VIA_PROXY = re.compile(r"(?:,gzip\(gfe\))?\s*\(via (?!https?:)[\w-]+(?:\.[\w-]+)+(?:/[\w/.-]*)?\)\s*$")
# Generic tokens by which a client names itself automation: a bot, crawler or spider word,
# a contact address ("+http://", "(Contact: ...", an e-mail address, "girafabot at girafa
# dot com"), a policy page ("adbeat.com/policy", ".../crawl_policy"), and headless and
# recording frameworks. Case-sensitive where a word is: "CUBOT" is a phone maker.
_AUTOMATION = re.compile(
    r"[a-z]bot\b|[a-z]?Bot\b|Bot/|[Rr]obot|[Cc]rawl|CRAWL|[Ss]pider|[Ss]craper"
    r"|\+https?://|\([Cc]ontact:|[\w.-]+@[\w-]+\.[a-z]{2,}|\bat [\w-]+ dot [a-z]{2,}\b"
    r"|\.[a-z]{2,}/[\w-]*policy\b"
    r"|(?i:headless|phantomjs|casperjs|selenium|webdriver|chrome ?driver|puppeteer|playwright)|Recorder/"
)
# A device's comment is its maker's free text ("CUBOT X19", "XBot Junior"): not searched.
_DEVICE_TEXT = re.compile(r"\([^()]*Android[^()]*\)|Android \([^()]*\)", re.IGNORECASE)
# Microsoft Office's clients, which the source types browsers. Word's, Excel's and
# PowerPoint's link lookup (Hlink, Internet Explorer's user agent with "ms-office") fetches
# a clicked link, follows its redirects and hands the browser the final address: for a
# short link, the only request of that click. Outlook's ("Microsoft Outlook 16.0.4266"
# in Internet Explorer's user agent) comes from Outlook rendering a message, as e-mail
# open tracking knows it; Outlook opens a clicked link in the browser without a lookup.
_OFFICE_NAMES = {"outlook", "office", "word", "excel", "powerpoint", "onenote"}
_IE = re.compile(r"^Mozilla/.*(?:MSIE |Trident/)")
_OUTLOOK_RENDER = re.compile(r"^Mozilla/.*(?:MSIE |Trident/).*Microsoft Outlook")
_OFFICE_LINK = re.compile(r"^Mozilla/.*(?:MSIE |Trident/).*ms-office")
_MAC_OFFICE = re.compile(r"^Mozilla/5\.0 \(Macintosh; Intel Mac OS X\) (?:Word|Excel|PowerPoint|Outlook)/")
# A user agent that is only browser and platform names and versions ("Chrome 57",
# "Firefox/59.0", "Mobile Firefox", "Windows 8.1 Firefox 56"): no browser sends one, and
# who typed it cannot be told.
_NAME_ONLY = re.compile(
    r"^(?:mozilla/5\.0\s*(?:\(\s*\))?\s*)?"
    r"(?:(?:chrome|chromium|firefox|safari|opera|edge|msie|ie|uc|web|mobile|windows|linux|mac|android|on)"
    r"(?:[\s/]*[0-9.]+)?[\s/,]*)+$",
    re.IGNORECASE,
)
# Download managers are left out, as the source's own "download-helper" type is.
_DOWNLOADER = re.compile(r"DownloadManager/|http client/", re.IGNORECASE)
# "java-runtime-environment" given to what names no Java runtime ("Java/1.5.0_04"): a
# phone's J2ME profile ("(Java; U; MIDP-2.0", "Java/ASVM/1.1 Profile/MIDP-2.1") or an
# Internet Explorer add-on ("Javaneh DC 2.5.2").
_NOT_JAVA_RUNTIME = re.compile(r"MIDP|\(Java; U;|MSIE ")

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


def _add(
    out: dict[str, dict[str, str]], ua: str, label: str, klass: str, source: str, source_label: str = ""
) -> None:
    ua = ua.strip()
    if ua and ua not in out:
        row = {"ua": ua, "label": label, "class": klass, "source": source}
        out[ua] = row | {"source_label": source_label or label}


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
            ua = record["user_agent"].strip()
            if (read := _rua_reading(ua, record)) is None:
                continue
            if (decided := policy(ua, *read, name=record["software_name"])) is not None:
                _add(out, ua, *decided, "random-user-agent", source_label=read[0])


def _rua_reading(ua: str, record: dict[str, str]) -> tuple[str, str] | None:
    """The source's own label and class of a record, as its software type and name say, or
    None where the record is left out (misparsed, not decidable, or not sampled)."""
    kind, name = record["software_type"], record["software_name"]
    if name in _RUA_MISPARSED_NAMES or (kind.startswith("bot") and _RUA_MISPARSED_APPS.search(ua)):
        return None
    if kind in _RUA_PEOPLE and _HEADLESS.search(ua):
        return "bot", "headless"
    if name in _RUA_BOT_NAMES:
        return "bot", _RUA_BOT_NAMES[name]
    if kind.startswith("bot -> "):
        return "bot", kind.removeprefix("bot -> ").replace("-", "_")
    if kind == "application -> software-library" and record["software_engine"] == "---":
        return "bot", "library"
    if kind in _RUA_PEOPLE and name not in _RUA_NOT_PEOPLE and _kept(ua):
        return "person", _RUA_PEOPLE[kind]
    return None


def policy(ua: str, label: str, klass: str, name: str = "") -> tuple[str, str] | None:
    """The label policy applied to a parser's label (random-user-agent's WhatIsMyBrowser
    types, woothee's categories): (label, class), or None to leave the record out. ``name``
    is the source's software name where it has one. README.md says why each class is
    decided so."""
    forwarded = _VIA_PROXY.sub("", ua)
    if forwarded != ua:
        # A translation or document proxy fetching for the person who asked, with their
        # user agent: what it forwards decides, as it does for the detector.
        if _AUTOMATION.search(_DEVICE_TEXT.sub("", forwarded)):
            return "bot", "self_declared"
        return "person", "via_proxy"
    if name == "java-runtime-environment" and _NOT_JAVA_RUNTIME.search(ua) and "Java/1." not in ua:
        return None  # a phone's J2ME browser or an IE add-on, typed by the word "Java"
    if label != "person":
        return label, klass
    if name in _OFFICE_NAMES:
        if _OUTLOOK_RENDER.search(ua):
            return "bot", "outlook_render"
        if _OFFICE_LINK.search(ua):
            return "person", "office_link"
        if not _IE.search(ua):
            return None  # Office's and Outlook's own HTTP clients: not decidable
    if _MAC_OFFICE.search(ua):
        return None  # the same for Office for Mac's, which the source names a Netscape
    if _AUTOMATION.search(_DEVICE_TEXT.sub("", ua)):
        return "bot", "self_declared"
    if _NAME_ONLY.match(ua) or _DOWNLOADER.search(ua):
        return None
    return label, klass


def _kept(ua: str) -> bool:
    return hashlib.sha256(ua.encode()).digest()[1] < _RUA_PEOPLE_KEPT_BELOW


def _add_woothee(out: dict[str, dict[str, str]], testsets: list[Path]) -> None:
    for path in testsets:
        for case in yaml.load(path.read_text(), Loader=yaml.CSafeLoader) or []:
            category, ua = case.get("category"), (case["target"] or "").strip()
            if category == "crawler":
                read = ("bot", "crawler")
            elif category == "misc" and case.get("name") == "HTTP Library":
                read = ("bot", "library")
            elif category == "misc" and "RSSReader" in case.get("name", ""):
                read = ("bot", "feed_reader")
            elif category in _WOOTHEE_PEOPLE:
                read = ("person", "browser")
            else:
                continue
            if (decided := policy(ua, *read)) is not None:
                _add(out, ua, *decided, "woothee", source_label=read[0])


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
