"""A second maintained list of crawlers: the patterns of crawler-user-agents (PyPI, MIT),
run by a Rust regex set.

crawlerdetect misses clients this list names (CDN and proxy fetchers, monitors, SEO and AI
crawlers with short product tokens: "Amazon CloudFront", "Datadog Agent/7.69.2"), and the
other way round; each is one signal of :mod:`smartlinks.bots.bots`.

The list's patterns are case-sensitive, as its own ``is_crawler`` runs them. A few of
them name real browsers and devices too; those are left out here, each found on the tune
part of the bots corpus (bench/corpus/bots/), where it flagged a person's browser.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal

import ua_parser_rs
from crawleruseragents import CRAWLER_USER_AGENTS_DATA

# Pattern -> a person's user agent it matched on the tune part.
FLAGS_PEOPLE: dict[str, str] = {
    "Sogou": "Sogou Mobile Explorer, a Chinese browser: '... Safari/537.36 SogouMSE,SogouMobileBrowser/5.20'",
    r"AP3A\.240617\.008": "an Android 15 build id: '(Linux; Android 15; RMX3944 Build/AP3A.240617.008; wv)'",
    r"008\/": "the same build id",
    "Sonic": "a phone model: 'Android 2.3.6; fr-fr; Cherry Sonic Build/GRK39F'",
    "Butterfly": "a phone model: 'HTCButterflys901s'",
    "Viber": "the Viber messenger's in-app browser: '... Safari/537.36 Viber/11.9.5.8'",
    "Blackboard": "a course app's web view: '... Mobile/16A404 Blackboard/3.9.1'",
    "Synapse": "a hospital workstation's Internet Explorer: '...; .NET4.0C; SynapseWorkstation.3.2.1)'",
}

IsListed = Callable[[str], bool]


@functools.cache
def listed_crawler() -> IsListed:
    """``is_listed(user_agent)``, built once per process."""
    rules: list[tuple[str, Literal["i"] | None, str, None, None]] = [
        (entry["pattern"], None, "crawler", None, None)
        for entry in CRAWLER_USER_AGENTS_DATA
        if entry["pattern"] not in FLAGS_PEOPLE
    ]
    matcher = ua_parser_rs.DeviceExtractor(rules)

    def is_listed(user_agent: str) -> bool:
        return matcher.extract(user_agent) is not None

    return is_listed
