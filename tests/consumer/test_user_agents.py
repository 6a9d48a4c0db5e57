"""User agents → bot verdict, browser, OS and device, over a table of real user agents.

tests/consumer/user_agents.json is the table: append every user agent that was ever
misread, with what it should give, and it stays right.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consumer.enrich import Enricher
from consumer.enrich.useragent import BROWSERS, DEVICES, OPERATING_SYSTEMS, UserAgentParser
from smartlinks.bots.bots import BOT_KINDS
from tests.consumer.conftest import MakeEvent

TABLE: list[dict[str, Any]] = json.loads((Path(__file__).parent / "user_agents.json").read_text())


def _id(case: dict[str, Any]) -> str:
    return f"{case['group']}:{case['ua'][:60]!r}"


@pytest.mark.parametrize("case", TABLE, ids=_id)
def test_user_agent_table(case: dict[str, Any], enricher: Enricher, make_event: MakeEvent) -> None:
    row = enricher.enrich(make_event(user_agent=case["ua"]))
    got = {
        "is_bot": row.is_bot,
        "bot_kind": row.bot_kind,
        "browser": row.browser,
        "browser_version": row.browser_version,
        "os": row.os,
        "os_version": row.os_version,
        "device": row.device,
    }
    assert got == {name: case[name] for name in got}


def test_table_is_broad_and_uses_only_the_documented_names() -> None:
    groups = {case["group"] for case in TABLE}
    assert {"browser", "in_app", "preview", "crawler", "cli", "empty", "garbage"} <= groups
    assert len(TABLE) >= 40
    for case in TABLE:
        assert case["bot_kind"] in ("", *BOT_KINDS)
        assert case["is_bot"] == (case["bot_kind"] != "")
        assert case["browser"] in BROWSERS
        assert case["os"] in OPERATING_SYSTEMS
        assert case["device"] in DEVICES


def test_the_rust_resolver_runs() -> None:
    # ua-parser picks it when ua-parser-rs is installed; the pure-Python one is ~10x slower.
    assert UserAgentParser().resolver == "ua_parser.regex"


@pytest.mark.parametrize("case", [c for c in TABLE if c["group"] == "in_app"], ids=_id)
def test_in_app_shortcut_agrees_with_ua_parser(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from consumer.enrich import useragent

    fast = UserAgentParser().parse(case["ua"])
    monkeypatch.setattr(useragent, "_in_app_agent", lambda ua: None)
    assert UserAgentParser().parse(case["ua"]) == fast


def test_in_app_shortcut_covers_instagram_and_facebook() -> None:
    from consumer.enrich.useragent import _in_app_agent

    covered = {agent.browser for case in TABLE if (agent := _in_app_agent(case["ua"])) is not None}
    assert covered == {"Instagram", "Facebook"}


def test_versions_are_majors_only() -> None:
    agent = UserAgentParser().parse(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.2.1 Safari/605.1.15"
    )
    assert (agent.browser, agent.browser_version, agent.os, agent.os_version) == (
        "Safari",
        "17",
        "macOS",
        "10",
    )


def test_parses_are_cached_and_bounded() -> None:
    parser = UserAgentParser(cache_size=2)
    for ua in ("a", "b", "c", "a"):
        parser.parse(ua)
    info = parser._cached.cache_info()
    assert info.currsize == 2
    assert info.maxsize == 2


def test_a_huge_user_agent_is_cut_before_parsing_and_caching() -> None:
    parser = UserAgentParser()
    huge = TABLE[0]["ua"] + " x" * 500_000
    assert parser.parse(huge).browser == TABLE[0]["browser"]
    assert parser.parse(huge) is parser.parse(huge[:2000])
