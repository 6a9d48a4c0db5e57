"""Bot detection: HEAD, empty user agents, preview fetchers, scripts and crawlers; and that
crawlerdetect's cost stays off the common path."""

from __future__ import annotations

import pytest

from smartlinks.bots.bots import BotDetector
from tests.consumer.conftest import CHROME

SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Mobile/15E148 Safari/604.1"
)
INSTAGRAM_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Instagram 311.0.2.21.104 (iPhone15,3; iOS 17_1_2; en_US; en; scale=3.00; 1290x2796; {})"
)


def test_head_is_a_bot_whatever_the_user_agent() -> None:
    detector = BotDetector()
    assert detector.kind("HEAD", CHROME) == "head"
    assert detector.kind("HEAD", "") == "head"
    assert detector.kind("GET", CHROME) == ""


@pytest.mark.parametrize("ua", ["", " ", "\t\n"])
def test_empty_user_agent(ua: str) -> None:
    assert BotDetector().kind("GET", ua) == "empty_ua"


@pytest.mark.parametrize(
    ("ua", "kind"),
    [
        ("WhatsApp/2.23.20.0 A", "preview"),
        ("WhatsApp/2.23.24.76 i", "preview"),
        ("WhatsApp/2.2349.52 N", "preview"),
        ("WhatsApp", "preview"),
        # WhatsApp named inside a browser's user agent is a person reading the link.
        (SAFARI_IOS.replace("Safari/604.1", "Safari/604.1 WhatsApp/2.23.24.76"), ""),
        (SAFARI_IOS.replace(" Version/17.2", "").replace(" Safari/604.1", " WhatsApp/2.23.24.76"), ""),
        # In-app browsers of the same companies whose fetchers preview links.
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Mobile/15E148 Safari Line/13.20.0",
            "",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Mobile/15E148 [Pinterest/iOS]",
            "",
        ),
        (INSTAGRAM_IOS.format(545764015), ""),
        ("Pinterest/0.2 (+https://www.pinterest.com/bot.html)", "preview"),
        ("facebookexternalhit/1.1;line-poker/1.0", "preview"),
        ("curl/8.4.0", "cli"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "crawler"),
    ],
)
def test_kinds(ua: str, kind: str) -> None:
    assert BotDetector().kind("GET", ua) == kind


def test_common_browsers_and_in_app_browsers_skip_crawlerdetect() -> None:
    detector = BotDetector()
    for serial in range(200):
        assert detector.kind("GET", INSTAGRAM_IOS.format(serial)) == ""
    assert detector.kind("GET", CHROME) == ""
    assert detector.kind("GET", SAFARI_IOS) == ""
    assert detector.slow_calls == 0


@pytest.mark.parametrize(
    "ua",
    [
        # A browser's grammar with a vendor's token appended: only crawlerdetect knows these.
        CHROME + " DareBoost",
        CHROME.replace("(Windows NT 10.0; Win64; x64)", "(Windows NT 10.0; Neustar WPM)"),
        "Mozilla/5.0 (Linux; U; Android 4.1.2; cs-cz; Seznam screenshot-generator Build/Q3) "
        "AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
        CHROME.replace("Chrome/", "HeadlessChrome/"),
    ],
)
def test_lookalikes_go_the_slow_way(ua: str) -> None:
    detector = BotDetector()
    assert detector.kind("GET", ua) == "crawler"
    assert detector.slow_calls == 1


def test_verdicts_are_cached_per_user_agent() -> None:
    detector = BotDetector()
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    for _ in range(3):
        assert detector.kind("GET", googlebot) == "crawler"
    assert detector.slow_calls == 1


def test_no_stale_verdict_after_an_empty_user_agent() -> None:
    # crawlerdetect's get_matches() answers the previous match after an empty user agent;
    # the detector never asks crawlerdetect about one.
    detector = BotDetector()
    assert detector.kind("GET", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")
    assert detector.kind("GET", "") == "empty_ua"
    # No crawler list names it, so it is no stale "crawler"; nor is it shaped like a browser.
    assert detector.verdict("GET", "asdfghjkl") == ("automated", "not_browser")
