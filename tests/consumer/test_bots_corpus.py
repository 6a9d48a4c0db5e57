"""The labelled corpus the bot bench measures on: how its builder labels each source's
records (on a small package folder made here, no download), and that the committed file
is what its README says."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from pathlib import Path

from bench.bots_bench import held_out, load
from bench.corpus.bots.build_corpus import build

CHROME_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0"


def _kept_form(template: str) -> str:
    """``template`` with its ``{n}`` filled so that the one-in-eight sample of people keeps it."""
    n = 0
    while hashlib.sha256(template.format(n=n).encode()).digest()[1] >= 32:
        n += 1
    return template.format(n=n)


def _record(ua: str, kind: str, name: str, engine: str = "---") -> dict[str, str]:
    return {"user_agent": ua, "software_type": kind, "software_name": name, "software_engine": engine}


def _kept_people(prefix: str, count: int) -> list[str]:
    """User agents that the one-in-eight sample of people keeps."""
    kept = []
    n = 0
    while len(kept) < count:
        ua = f"{prefix} {n}"
        if hashlib.sha256(ua.encode()).digest()[1] < 32:
            kept.append(ua)
        n += 1
    return kept


def _packages(root: Path, records: list[dict[str, str]], woothee: str) -> Path:
    for path, text in {
        "crawleruseragents/crawler-user-agents.json": "[]",
        "fake_useragent/data/browsers.jsonl": "",
        "user-agents/dist/user-agents.json": "[]",
        "top-user-agents/src/index.json": "[]",
        "woothee/woothee/testsets/misc.yaml": woothee,
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "device_detector/tests/fixtures/upstream").mkdir(parents=True)
    (root / "random_user_agent/data").mkdir(parents=True)
    with zipfile.ZipFile(root / "random_user_agent/data/user_agents.zip", "w") as archive:
        archive.writestr("user_agents.jl", "".join(json.dumps(r) + "\n" for r in records))
    return root


def test_random_user_agent_labels_by_software_type_and_name(tmp_path: Path) -> None:
    person, mail = _kept_people(CHROME_WIN, 1) + _kept_people("Thunderbird/60.0", 1)
    in_app = _kept_people(f"{CHROME_WIN} [FBAN/FBIOS]", 1)[0]
    records = [
        _record("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot -> crawler", "googlebot"),
        _record("RuxitSynthetic/1.0", "bot -> site-monitor", "ruxitsynthetic"),
        _record("Mozilla/4.0 (Windows 7 6.1) Java/1.6.0_22", "application -> software-library", "java"),
        _record("Acme AdobeAIR/2.0", "application -> software-library", "adobe-air", engine="WebKit"),
        _record("curl/7.58.0", "application", "curl"),
        _record("QQDownload 1.0", "application -> download-helper", "qqdownload-download-manager"),
        _record(person, "browser -> web-browser", "chrome"),
        _record(in_app, "browser -> in-app-browser", "facebook-app"),
        _record(f"{CHROME_WIN} HeadlessChrome/70.0", "browser -> web-browser", "chrome"),
        _record("Mozilla/5.0 (Android 4.3; HTC Butterfly)", "bot -> crawler", "topsy-butterfly-robot"),
        _record(f"{CHROME_WIN} YJApp-ANDROID jp.co.yahoo.android.yjtop/3.0", "bot -> crawler", "yahoo-slurp"),
        _record(mail, "browser -> in-app-browser", "thunderbird"),
    ]
    rows = build(_packages(tmp_path, records, "[]"))
    labels = {ua: (row["label"], row["class"]) for ua, row in rows.items()}
    assert labels == {
        "Googlebot/2.1 (+http://www.google.com/bot.html)": ("bot", "crawler"),
        "RuxitSynthetic/1.0": ("bot", "site_monitor"),
        "Mozilla/4.0 (Windows 7 6.1) Java/1.6.0_22": ("bot", "library"),
        "curl/7.58.0": ("bot", "cli"),
        person: ("person", "browser"),
        in_app: ("person", "in_app"),
        f"{CHROME_WIN} HeadlessChrome/70.0": ("bot", "headless"),
    }
    assert {row["source"] for row in rows.values()} == {"random-user-agent"}


def test_random_user_agent_keeps_one_person_in_eight(tmp_path: Path) -> None:
    people = [f"{CHROME_WIN} {n}" for n in range(4000)]
    records = [_record(ua, "browser -> web-browser", "chrome") for ua in people]
    kept = build(_packages(tmp_path, records, "[]"))
    assert 400 < len(kept) < 600
    # The sample reads another byte than the split: both halves keep their people.
    assert 0.4 < sum(held_out(ua) for ua in kept) / len(kept) < 0.6


def test_woothee_labels_by_category(tmp_path: Path) -> None:
    testset = """
- {target: 'Googlebot/2.1', name: Googlebot, category: crawler}
- {target: 'Mozilla/5.0 (Windows NT 6.1) Chrome/40.0', name: Chrome, category: pc}
- {target: 'DoCoMo/2.0 N905i(c100;TB;W24H16)', name: docomo, category: mobilephone}
- {target: 'Ruby/1.9', name: HTTP Library, category: misc}
- {target: 'Windows-RSS-Platform/2.0', name: Windows RSSReader, category: misc}
- {target: 'Google Desktop/5.9', name: Google Desktop, category: misc}
- {target: '', name: UNKNOWN, category: UNKNOWN}
"""
    rows = build(_packages(tmp_path, [], testset))
    assert {ua: (row["label"], row["class"]) for ua, row in rows.items()} == {
        "Googlebot/2.1": ("bot", "crawler"),
        "Mozilla/5.0 (Windows NT 6.1) Chrome/40.0": ("person", "browser"),
        "DoCoMo/2.0 N905i(c100;TB;W24H16)": ("person", "browser"),
        "Ruby/1.9": ("bot", "library"),
        "Windows-RSS-Platform/2.0": ("bot", "feed_reader"),
    }


def test_the_label_policy_decides_the_parsers_disputed_classes(tmp_path: Path) -> None:
    office = _kept_form(
        "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0; InfoPath.{n}; ms-office)"
    )
    outlook = _kept_form(
        "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; {n}; "
        "Microsoft Outlook 16.0.4266; ms-office; MSOffice 16)"
    )
    translated = _kept_form(f"{CHROME_WIN}.{{n}} Safari/537.36,gzip(gfe) (via translate.google.com)")
    babelfish = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1) (via babelfish.yahoo.com)"
    self_declared = [
        _kept_form(f"{CHROME_WIN}.{{n}} AppEngine-Google; (+http://code.google.com/appengine; appid: s~x)"),
        _kept_form("Mozilla/5.0 (Windows NT 6.1; x64) adbeat.com/policy AppleWebKit/537.36 (KHTML) {n}"),
        _kept_form("Mozilla/5.0 (Macintosh) StashBot/1.{n}"),
        _kept_form("Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/534.34 CasperJS/1.0.{n}"),
    ]
    # A phone maker's name in the device comment is no bot's.
    cubot = _kept_form("Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 Chrome/70.{n}")
    left_out = [
        _kept_form("Chrome {n}"),
        _kept_form("Windows 8.1 Firefox {n}"),
        _kept_form("Microsoft Office Word 2014 (16.0.{n}) Windows NT 10.0"),
    ]
    browsers = [office, outlook, translated, *self_declared, cubot, *left_out]
    names = {office: "office", outlook: "outlook", left_out[2]: "word"}
    records = [_record(ua, "browser -> web-browser", names.get(ua, "chrome")) for ua in browsers]
    records.append(_record(babelfish, "bot -> crawler", "yahoo-slurp-web-crawler-bot"))
    j2me = "Nokia301/2.0 (09.04) Profile/MIDP-2.1 Configuration/CLDC-1.1 (Java; U; MIDP-2.0; vi; Nokia301)"
    records.append(_record(j2me, "application -> software-library", "java-runtime-environment"))
    testset = "- {target: 'Acme (+http://acme.example/bot)', name: Acme, category: pc}"
    built = build(_packages(tmp_path, records, testset))
    assert {ua: (row["label"], row["class"], row["source_label"]) for ua, row in built.items()} == {
        office: ("person", "office_link", "person"),
        outlook: ("bot", "outlook_render", "person"),
        translated: ("person", "via_proxy", "person"),
        babelfish: ("person", "via_proxy", "bot"),
        **{ua: ("bot", "self_declared", "person") for ua in self_declared},
        cubot: ("person", "browser", "person"),
        "Acme (+http://acme.example/bot)": ("bot", "self_declared", "person"),
    }


def test_the_committed_corpus_is_what_its_readme_says() -> None:
    rows = load("all")
    assert len(rows) == len({row["ua"] for row in rows}) == 82_547
    assert Counter(row["label"] for row in rows) == {"bot": 5_719, "person": 76_828}
    by_source = Counter((row["source"], row["label"]) for row in rows)
    assert by_source[("random-user-agent", "bot")] == 2_473
    assert by_source[("woothee", "person")] == 117
    by_class = Counter(row["class"] for row in rows)
    policy_classes = ("office_link", "outlook_render", "via_proxy", "self_declared")
    assert [by_class[name] for name in policy_classes] == [87, 74, 139, 70]
    # Only the two parser-labelled sources' labels are the policy's rather than their own.
    disputed = Counter(row["source"] for row in rows if row["label"] != row["source_label"])
    assert disputed == {"random-user-agent": 150, "woothee": 4}
    # The rows before the last two sources came in: 40,215, as the corpus had them.
    new = {"random-user-agent", "woothee"}
    assert sum(row["source"] not in new for row in rows) == 40_215
    assert 0.48 < len(load("held_out")) / len(rows) < 0.52
