"""isbot's pattern list as a signal: the vendored module is what its generator writes,
every pattern left out is still on the list (regenerating never keeps a stale decision),
the patterns spelled out for Rust decide as the look-behinds they replace, and the
classes it catches and the people it must not take for bots."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from bench.corpus.bots.build_isbot_patterns import patterns, render
from smartlinks.bots import isbot_patterns
from smartlinks.bots.bots import BotDetector
from smartlinks.bots.pattern_list import FLAGS_PEOPLE, SHAPE_PATTERNS, SPELLED_OUT, used_patterns


def test_the_vendored_module_is_what_the_generator_writes() -> None:
    written = Path(isbot_patterns.__file__).read_text()
    assert written == render(list(isbot_patterns.PATTERNS), isbot_patterns.VERSION, isbot_patterns.LICENSE)


def test_the_generator_reads_the_list_out_of_the_package(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"version": "5.2.4", "license": "Unlicense"}))
    (tmp_path / "index.js").write_text(
        'var x = 1;\n// src/patterns.json\nvar patterns_default = [\n  " daum[ /]",\n  "(?<!cam)scan"\n];\n'
        'var fullPattern = " daum[ /]|(?<!cam)scan";\n'
    )
    assert patterns(tmp_path) == ([" daum[ /]", "(?<!cam)scan"], "5.2.4", "Unlicense")


def test_every_left_out_pattern_is_on_the_list() -> None:
    listed = set(isbot_patterns.PATTERNS)
    assert listed >= SHAPE_PATTERNS
    assert listed >= set(FLAGS_PEOPLE)
    assert set(SPELLED_OUT) <= set(used_patterns())


def test_most_of_the_list_is_used() -> None:
    assert len(used_patterns()) >= 150


@pytest.mark.parametrize("pattern", sorted(SPELLED_OUT))
def test_spelled_out_patterns_decide_as_their_look_behinds(pattern: str) -> None:
    original = re.compile(pattern, re.IGNORECASE)
    spelled = re.compile(SPELLED_OUT[pattern], re.IGNORECASE)
    rng = random.Random(14)
    texts = [" cubot", "cubot", "robot", "bot", "xx cubots", "camscan", "Cam Scan", "webcamscan", "CAMSCAN"]
    texts += ["".join(rng.choice(" cubotsamnCUB_x") for _ in range(rng.randint(0, 9))) for _ in range(20_000)]
    for text in texts:
        assert bool(original.search(text)) == bool(spelled.search(text)), text


@pytest.mark.parametrize(
    "ua",
    [
        # A site monitor's recorder and Internet Explorer's offline reader, added to a
        # browser's user agent: no other list names them.
        "Mozilla/5.0 (X11; Linux x86_64; rv:52.0) Gecko/20100101 Firefox/52.0 DejaClick/2.9.3.0",
        "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/33.0.1751.0 Safari/537.36"
        " DejaClick/1.0.4.1",
        "Mozilla/4.0 (compatible; MSIE 6.0; Windows 98; PCUser; MSIECrawler)",
        # A bookmark manager checking links, a session-recording service.
        "Mozilla/4.0 (compatible; Powermarks/3.5; Windows 95/98/2000/NT)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_1) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/39.0.2171.95 Safari/537.36 Inspectlet1.0",
        # Snapchat's own client, not its in-app browser (which is a person: apps.jsonl).
        "Snapchat/10.21.1.1 CFNetwork/893.14.2 Darwin/17.3.0",
    ],
)
def test_what_the_list_names(ua: str) -> None:
    assert BotDetector().verdict("GET", ua) == ("crawler", "pattern_list")


@pytest.mark.parametrize(
    "ua",
    [
        # Names on isbot's list that are a person's browser, plug-in, device or app too.
        "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1; BTRS102048; chromeframe/27.0.1453.56)",
        "DDG-Android-3.1.1",
        "NetSurf/3.3 (Haiku)",
        "Mozilla/5.0 (Linux; Android 10; TLA001 Build/QP1A.190711.020; wv) AppleWebKit/537.36"
        " (KHTML, like Gecko) Version/4.0 Chrome/80.0.3987.132 Safari/537.36"
        " SogouMSE,SogouMobileBrowser/6.1.5",
        "Mozilla/5.0 (Series40; Nokia503/14.0.4/java_runtime_version=Nokia_Asha_1_2; Profile/MIDP-2.1"
        " Configuration/CLDC-1.1) Gecko/20100401 S40OviBrowser/3.1.1.0.27",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 11_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " AppleNews/1460 Version/3.3",
        "Mozilla/5.0 (X11; Linux i686; rv:31.0) Gecko/20100101 Firefox/31.0 SCREENRES/1024x768",
        # Apple's beta browser and a browser on Windows Server ("preview", "server").
        "Safari%20Technology%20Preview/11601.6.17 CFNetwork/760.5.1 Darwin/15.5.0 (x86_64)",
        "Mozilla/5.0 (Windows Server 2012; en-US; rv:1.7.5) Gecko/20041107 Firefox/1.0",
        # Shapes isbot takes for scripts, the product's own shape rules for people.
        "Mozilla/5.0 (PDA; NF35WMPRO/1.0; like Gecko) NetFront/3.5",
        "Opera/9.80 (J2ME/MIDP; Opera Mini/6.5.27510/29.3183; U; en) Presto/2.8.119 Version/11.10",
    ],
)
def test_people_the_list_would_take(ua: str) -> None:
    assert BotDetector().verdict("GET", ua) == ("", "")
