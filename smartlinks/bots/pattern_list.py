"""A third maintained list of automated clients: isbot's pattern list (npm isbot, public
domain), vendored in :mod:`smartlinks.bots.isbot_patterns` at build time and run here.

isbot names monitors, recorders, scanners and tools that neither crawlerdetect nor
crawler-user-agents names, many of them appended to a real browser's user agent
("... Firefox/24.0 DejaClick/2.5.0.7", "MSIE 6.0; ...; MSIECrawler)"); it is one signal of
:mod:`smartlinks.bots.bots`, asked after the other two lists.

isbot is written for today's traffic, where an old browser is itself a sign of a script;
the corpus, and a link's clicks, hold people's old and phone browsers too. So two kinds of
its patterns are left out:

- ``SHAPE_PATTERNS``, its judgements of shape rather than names (a bare product token, a
  URL, ``()``, a long token without spaces, an old "Mozilla/4.0 (compatible; X 1.0)"):
  whether a user agent is shaped like a person's client the product decides by its own
  rules (``BROWSER_SHAPE``, ``FORGED_SIGNS`` in :mod:`smartlinks.bots.bot_rules`), which
  know the feature phones, TVs and 1990s browsers these take for scripts.
- ``FLAGS_PEOPLE``, names that are also a person's browser, toolbar, device or app: each
  found on the tune part of the bots corpus (bench/corpus/bots/), where it flagged one.

The patterns are JavaScript regexes matched case-insensitively, here by one Rust regex set
(about 1.5 µs, on the slow path only).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Final, Literal

import ua_parser_rs

from smartlinks.bots.isbot_patterns import PATTERNS

SHAPE_PATTERNS: Final = frozenset(
    {
        r";\s\w+;$",
        r"@[a-z][\w-]+\.",
        r"\(\)",
        r"\.com\b",
        r"\b\w+/1\.0;",
        r"\|",
        r"^[<\(;]",
        r"^[\w \.\-\(?:\):%]+(?:/v?\d+(?:\.\d+)?(?:\.\d{1,10})*?)?(?:,|$)",
        r"^[\w\-]+/[\w]+$",
        r"^[^ ]{50,}$",
        r"^\d+\b",
        r"^\w+/[\w\(\)]*$",
        r"^\w+/\d\.\d\s\([\w@]+\)$",
        r"^mozilla/\d\.\d\s[\w\.-]+$",
        r"^mozilla/\d\.\d\s\((?:compatible;)?(?:\s?[\w\d-.]+[\s/]\d+\.\d+)?\)$",
        r"(?<!lib)http",
    }
)

# Pattern -> a person's user agent it matched on the tune part.
FLAGS_PEOPLE: Final = {
    r"(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))": "Google's WAP proxy for "
    "phones and its toolbar: '... UP.Link/5.1.2.12 (Google WAP Proxy/1.0)', 'GoogleToolbar 6.1'",
    r"(?:^|[^g])news(?!sapphire)": "phones and news apps' web views: 'Android 7.0; Newsday_N2+', "
    "'NewsArticle/8.9.4', 'AppleNews/607'",
    r"java(?!;)": "Nokia's Series 40 browser: '(Series40; Nokia503/14.0.4/java_runtime_version=...'",
    "chromeframe": "Google Chrome Frame, the plug-in that rendered pages in Internet Explorer "
    "(2009-2014): 'MSIE 6.0; Windows NT 5.1; SV1; chromeframe/27.0.1453.56'",
    "optimize": "an Internet Explorer edition of MSN: 'msn OptimizedIE8;ENUS'",
    "download": "a download manager's token in a browser: 'QQDownload 691', 'GWX:DOWNLOADED'",
    "firephp": "a Firefox developer add-on: '... Firefox/45.0 FirePHP/0.7.4'",
    "sogou": "Sogou's mobile browser: '... Safari/537.36 SogouMSE,SogouMobileBrowser/6.1.5'",
    "splash": "Splashtop, an instant-on Linux with Firefox: 'Firefox/3.0.10 (Splashtop-v1.2.0.3)'",
    "catch": "a TV's Opera: 'OPR/46.0.2207.0 OMI/4.21.4.112.Catcher4.66 Model/Hisense-MT9602'",
    "tools": "an Internet Explorer toolbar and WeChat's web view: 'HbTools 4.7.0', 'Process/toolsmp'",
    "synapse": "a hospital workstation's Internet Explorer: 'SynapseWorkstation.3.2.1'",
    "proxy": "UC Mini's speed mode and a Palm browser: '(SpeedMode; Proxy; Android 5.1; ...)', "
    "'Tungsten Proxyless 1.1'",
    "agent\\b": "a privacy add-on's platform: 'Mozilla/5.0 (masking-agent; rv:33.0) ... Firefox/33.0'",
    "library": "a corporate Internet Explorer build's token: 'VF Corporation; Library3.05640'",
    "advisor": "a browser add-on: 'WebMoney Advisor MRA 5.7'",
    "^netsurf": "the NetSurf browser (RISC OS, Haiku): 'NetSurf/3.3 (Haiku)'",
    "^ddg[_-]android": "DuckDuckGo's Android app, its browser: 'DDG-Android-3.1.1'",
    "^amaya": "W3C's Amaya browser: 'amaya/9.51 libwww/5.4.0'",
    "offbyone": "the OffByOne browser: 'Mozilla/4.7 (compatible; OffByOne; Windows 2000)'",
    "browsex": "the BrowseX browser: 'Mozilla/4.61 [en] (X11; U; ) - BrowseX (2.0.0 Windows)'",
    "24x7": "a screen resolution: 'SCREENRES/1024x768', 'Android (17/4.2.1; 160dpi; 1024x720'",
    "torrent": "a browser of a torrent client: '... Chrome/44.0.2403.157 Torrent/44.0.1.3'",
    "check\\b": "a browser's log-in component: 'Client/3.0.85/AuthCheck Safari/537.22'",
    "radar": "a phone model: 'HTC; Radar C110e', 'Superion Radar Deluxe'",
    "url": "WeChat's web view: '(KHTML, like Gecko) (Engine, like URL) ... MicroMessenger/6.0.1'",
    "feed": "a news app's web view: 'Mobile/12B466 buzzfeed/45004'",
}

IsPatterned = Callable[[str], bool]

# Rust's regex has no look-around, and Python's re, which has, costs 7 µs a user agent on
# a look-behind that leads a pattern (no literal prefix to skip to). A look-behind of n
# characters is spelled out for Rust: the match starts within the first n-1 characters, or
# one of the n before it differs. Same verdicts (a test holds them to Python's re).
SPELLED_OUT: Final = {
    r"(?<! cu)bots?(?:\b|_)": r"(?:^.{0,2}|[^ ]..|.[^c].|..[^u])bots?(?:\b|_)",
    r"(?<!cam)scan": r"(?:^.{0,2}|[^c]..|.[^a].|..[^m])scan",
}
_LOOK_AROUND = ("(?<", "(?!", "(?=")


def used_patterns() -> list[str]:
    """The patterns of the list the product asks, in the list's order."""
    return [p for p in PATTERNS if p not in SHAPE_PATTERNS and p not in FLAGS_PEOPLE]


@functools.cache
def patterned() -> IsPatterned:
    """``is_patterned(user_agent)``, built once per process."""
    used = [SPELLED_OUT.get(p, p) for p in used_patterns()]
    rules: list[tuple[str, Literal["i"] | None, str, None, None]] = [
        (p, "i", "automated", None, None) for p in used if not any(la in p for la in _LOOK_AROUND)
    ]
    matcher = ua_parser_rs.DeviceExtractor(rules)
    around = [p for p in used if any(la in p for la in _LOOK_AROUND)]
    # A look-around a future list adds runs in Python's re until it is spelled out above.
    # Lowercased input, no IGNORECASE: Python's matcher is several times faster so.
    search = re.compile("|".join(around)).search if around else None

    def is_patterned(user_agent: str) -> bool:
        if matcher.extract(user_agent) is not None:
            return True
        return search is not None and search(user_agent.lower()) is not None

    return is_patterned
