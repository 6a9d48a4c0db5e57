"""crawlerdetect's patterns run in Rust give crawlerdetect's own verdicts, fast, even on
input built to be slow."""

from __future__ import annotations

import json
import random
import string
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from crawlerdetect import CrawlerDetect

from smartlinks.bots import crawlers

TABLE = json.loads((Path(__file__).parent / "user_agents.json").read_text())


def _samples() -> list[str]:
    rng = random.Random(7)
    garbage = [
        "".join(rng.choice(string.printable) for _ in range(rng.randrange(1, 200))) for _ in range(300)
    ]
    yandex = [
        "Mozilla/5.0 (compatible; YandexBot/3.0)",
        "YandexSearch/1.0",
        "yandexsearch",
        "Yandex",
        "Yandexs",
    ]
    return [case["ua"] for case in TABLE if case["ua"].strip()] + garbage + yandex


@pytest.mark.parametrize("build", [crawlers._rust_check, crawlers._fallback_check])
def test_same_verdicts_as_crawlerdetect(build: Callable[[], crawlers.IsCrawler]) -> None:
    check, reference = build(), CrawlerDetect()
    disagreements = [ua for ua in _samples() if check(ua) != reference.is_crawler(ua)]
    assert disagreements == []


def test_the_rust_check_is_the_one_in_use() -> None:
    check = crawlers.crawler_check()
    assert check.__qualname__.startswith("_rust_check")


def test_falls_back_to_crawlerdetect_when_a_pattern_will_not_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crawlers, "crawler_patterns", [*crawlers.crawler_patterns, "Evil(?<=lookbehind)"])
    crawlers.crawler_check.cache_clear()
    try:
        check = crawlers.crawler_check()
        assert check.__qualname__.startswith("_fallback_check")
        assert check("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    finally:
        crawlers.crawler_check.cache_clear()


@pytest.mark.parametrize(
    ("build", "limit"), [(crawlers._rust_check, 0.005), (crawlers._fallback_check, 0.04)]
)
def test_input_built_to_be_slow_stays_cheap(build: Callable[[], crawlers.IsCrawler], limit: float) -> None:
    # crawlerdetect itself takes ~84 ms on 1 KiB of one letter and ~50 ms on 512 random
    # letters: anyone able to send a redirect could stall the consumer with such input.
    check = build()
    rng = random.Random(3)
    inputs = ["q" * 1024, "ab-" * 340] + [
        "".join(rng.choice(string.ascii_letters + " ;/()") for _ in range(1024)) for _ in range(5)
    ]
    # CPU time, not the wall clock: other work on a shared machine must not fail this.
    started = time.process_time()
    for ua in inputs:
        check(ua)
    assert (time.process_time() - started) / len(inputs) < limit
