"""Bot detection: is a click a person, and if not, what made it and why we say so.

A verdict is a kind (``ClickRow.bot_kind``; '' means a person) and a reason
(``ClickRow.bot_reason``, the rule that decided). Kinds, a small stable set:

- ``head``: a HEAD request. People click with GET; HEAD comes from link checkers and
  from preview fetchers probing before they fetch. Decided by the method alone.
- ``empty_ua``: no user agent, or only whitespace. No browser sends that.
- ``preview``: a link-preview fetcher of a messenger or social network (WhatsApp,
  facebookexternalhit, Slackbot, Twitterbot, TelegramBot, ...). Worth its own kind: a
  campaign message posted in a chat yields previews, not readers.
- ``probe``: a user agent that is an attack (``${jndi:ldap://...}``, ``<script>``, SQL).
- ``cli``: an HTTP library or command-line tool (curl, python-requests, Go-http-client),
  or a program on the Java runtime that names its version (``Java/1.8.0_202``).
- ``crawler``: a client a crawler list names: crawlerdetect, crawler-user-agents, or
  (after the ``automated`` signs below) isbot's pattern list.
- ``automated``: none of the above, and not shaped like any client a person holds, or
  shaped like a browser in a way no browser writes (its own web address or a crawler's
  "+" contact address, a product named for an automated role, an unreleased build: see
  ``FORGED_SIGNS`` and ``CONTACT_SIGN``), or a feed reader or media framework.
- ``tenant``: the tenant marked it (a user-agent pattern or an IP range of its own).

Reasons: ``head``, ``empty_ua``, ``preview``, ``probe``, ``cli``, ``crawlerdetect``,
``crawler_list``, ``pattern_list``, ``not_browser``, ``forged_browser``, ``feed_media``,
``tenant_ua``, ``tenant_ip``.

In-app browsers (Instagram, Facebook's FBAN/FBAV, TikTok, LINE, Snapchat, LinkedIn, X,
Telegram, the Google app) are people: the preview patterns name fetchers by the forms
they use, e.g. WhatsApp only as the whole user agent "WhatsApp/2.23.20.0 A".

A request that follows a link for one person, at their action, is that person's click,
whatever program sends it: Word's or Excel's link lookup (Internet Explorer's user agent
with "ms-office": Office fetches a clicked link, follows the redirect and hands the
browser the destination, so the short link sees only this request; no list names it),
and a translation or document proxy that forwards the person's user agent ("... (via
translate.google.com)"), judged by what it forwards. A request that follows no one's
click is a bot: a crawl, a monitor, a preview for a chat's readers, Outlook rendering a
message ("Microsoft Outlook 16.0...; ms-office", which crawlerdetect lists).
``bench/corpus/bots/README.md`` sets out this label policy.

Order and cost. One pass of a Rust regex set (about 1-4 µs) decides most user agents:
a preview, probe or script token decides the kind; a user agent that names no automation
token and follows, as a whole, the grammar of the browsers that bring nearly all clicks
is a person. The rest go the slow way (about 10-40 µs): crawlerdetect
(:mod:`smartlinks.bots.crawlers`), then crawler-user-agents
(:mod:`smartlinks.bots.crawler_list`), both asked without what a person's device or
browser writes that they take for a crawler's (a maker's model name, a text browser's
libwww), then what no browser writes, then isbot's pattern list
(:mod:`smartlinks.bots.pattern_list`, asked the same way: the monitors, recorders and
tools the other rules leave), then the browser shape: whatever no list names
and is not shaped like a person's client is ``automated``. Verdicts are cached per user
agent (about 0.3 µs a hit): campaign traffic repeats them. ``bench/bots_bench.py``
measures precision, recall and these costs on the labelled corpus.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Final, Literal, NamedTuple

import ua_parser_rs

from smartlinks.bots.bot_rules import (
    ANDROID_MODEL,
    AUTOMATION_MODEL,
    BROWSER_GRAMMAR,
    BROWSER_LIBRARY,
    BROWSER_SHAPE,
    BUILT_ON_LIBWWW,
    CLI_PATTERN,
    CONTACT_SIGN,
    FEED_CLIENT,
    FORGED_HINT,
    FORGED_PATTERN,
    FORGED_SIGNS,
    MEDIA_CLIENT,
    NOT_CRAWLER_TOKENS,
    OWN_BROWSER,
    OWN_BROWSER_HINT,
    PREVIEW_PATTERNS,
    PROBE_PATTERN,
    SUSPECT_PATTERN,
    TV_DEVICE,
    VIA_PROXY,
    WHATSAPP_FETCHER,
)
from smartlinks.bots.crawler_list import listed_crawler
from smartlinks.bots.crawlers import crawler_check
from smartlinks.bots.pattern_list import patterned
from smartlinks.bots.tenant_bots import TENANT_IP, TENANT_UA, TenantBots
from smartlinks.bots.text import MAX_LENGTH, scrub

HEAD: Final = "head"
EMPTY_UA: Final = "empty_ua"
PREVIEW: Final = "preview"
PROBE: Final = "probe"
CLI: Final = "cli"
CRAWLER: Final = "crawler"
AUTOMATED: Final = "automated"
TENANT: Final = "tenant"
BOT_KINDS: Final = (HEAD, EMPTY_UA, PREVIEW, PROBE, CLI, CRAWLER, AUTOMATED, TENANT)

CRAWLERDETECT: Final = "crawlerdetect"
CRAWLER_LIST: Final = "crawler_list"
PATTERN_LIST: Final = "pattern_list"
NOT_BROWSER: Final = "not_browser"
FORGED_BROWSER: Final = "forged_browser"
FEED_MEDIA: Final = "feed_media"
BOT_REASONS: Final = (
    HEAD,
    EMPTY_UA,
    PREVIEW,
    PROBE,
    CLI,
    CRAWLERDETECT,
    CRAWLER_LIST,
    PATTERN_LIST,
    NOT_BROWSER,
    FORGED_BROWSER,
    FEED_MEDIA,
    TENANT_UA,
    TENANT_IP,
)

_SUSPECT: Final = "suspect"
_BROWSER: Final = "browser"


class Verdict(NamedTuple):
    kind: str  # '' for a person, else one of BOT_KINDS
    reason: str  # '' for a person, else one of BOT_REASONS


PERSON: Final = Verdict("", "")
_HEAD: Final = Verdict(HEAD, HEAD)
_EMPTY: Final = Verdict(EMPTY_UA, EMPTY_UA)
_BY_TOKEN: Final = {
    PREVIEW: Verdict(PREVIEW, PREVIEW),
    PROBE: Verdict(PROBE, PROBE),
    CLI: Verdict(CLI, CLI),
}
_CRAWLERDETECT: Final = Verdict(CRAWLER, CRAWLERDETECT)
_CRAWLER_LIST: Final = Verdict(CRAWLER, CRAWLER_LIST)
_PATTERN_LIST: Final = Verdict(CRAWLER, PATTERN_LIST)
_NOT_BROWSER: Final = Verdict(AUTOMATED, NOT_BROWSER)
_FEED_MEDIA: Final = Verdict(AUTOMATED, FEED_MEDIA)
_FORGED_BROWSER: Final = Verdict(AUTOMATED, FORGED_BROWSER)
_BY_TENANT: Final = {TENANT_UA: Verdict(TENANT, TENANT_UA), TENANT_IP: Verdict(TENANT, TENANT_IP)}


@functools.cache
def _token_matcher() -> ua_parser_rs.DeviceExtractor:
    # ua-parser-rs compiles a list of regexes into one Rust regex set and answers the first
    # that matches, in list order: a general, linear-time multi-pattern matcher, where
    # Python's re with IGNORECASE costs 20 µs for the same scan. The order is the order
    # of precedence: preview, probe, cli, suspect, and only then a person's browser.
    rules: list[tuple[str, Literal["i"] | None, str, None, None]] = [
        (pattern, "i", PREVIEW, None, None) for pattern in PREVIEW_PATTERNS
    ]
    rules.append((WHATSAPP_FETCHER, None, PREVIEW, None, None))
    rules.append((PROBE_PATTERN, "i", PROBE, None, None))
    rules.append((CLI_PATTERN, "i", CLI, None, None))
    rules.append((SUSPECT_PATTERN, "i", _SUSPECT, None, None))
    rules.append((BROWSER_GRAMMAR, None, _BROWSER, None, None))
    return ua_parser_rs.DeviceExtractor(rules)


def _rust_search(pattern: str) -> Callable[[str], bool]:
    """``pattern`` (case-sensitive, no look-around) found anywhere, by the Rust regex
    engine: linear and a few times faster than Python's re on an alternation."""
    matcher = ua_parser_rs.DeviceExtractor([(pattern, None, "hit", None, None)])

    def found(text: str) -> bool:
        return matcher.extract(text) is not None

    return found


class BotDetector:
    """Classifies a request by method and user agent into a :class:`Verdict`."""

    def __init__(self, cache_size: int = 20_000, tenants: TenantBots | None = None) -> None:
        self._tokens = _token_matcher()
        self.tenants = tenants if tenants is not None else TenantBots()
        self._is_crawler = crawler_check()
        self._is_listed = listed_crawler()
        self._is_patterned = patterned()
        # Lowercased input: Python's re without IGNORECASE is several times faster.
        self._shaped = re.compile(BROWSER_SHAPE).search
        self._feed_or_media = re.compile(f"{FEED_CLIENT}|{MEDIA_CLIENT}").search
        self._android_model = re.compile(ANDROID_MODEL)
        self._automation_model = re.compile(AUTOMATION_MODEL).search
        self._not_crawler_tokens = re.compile(NOT_CRAWLER_TOKENS)
        self._tv_device = re.compile(TV_DEVICE)
        self._own_browser = re.compile(OWN_BROWSER)
        self._own_browser_hint = _rust_search(OWN_BROWSER_HINT)
        self._browser_library = re.compile(BROWSER_LIBRARY)
        self._built_on_libwww = re.compile(BUILT_ON_LIBWWW).search
        self._forged_signs = re.compile(FORGED_SIGNS).search
        self._forged_hint = _rust_search(FORGED_HINT)
        self._contact = re.compile(CONTACT_SIGN).search
        self._via_proxy = re.compile(VIA_PROXY)
        self.slow_calls = 0  # how often the slow path ran; the bench reports it
        # Bot verdicts by reason, every request counted (a cache hit too): the metrics'
        # enrich_bots_total. All reasons from the start, so a scrape shows zeros.
        self.reasons: dict[str, int] = dict.fromkeys(BOT_REASONS, 0)
        self._verdict = functools.lru_cache(maxsize=cache_size)(self._classify)

    def verdict(self, method: str, user_agent: str, tenant_id: str = "", ip: str = "") -> Verdict:
        """The verdict on one request, counted in ``reasons`` when it is a bot. What the
        rules take for a person, the tenant's own rules may still mark (its monitors)."""
        verdict = _HEAD if method == "HEAD" else self._verdict(user_agent[:MAX_LENGTH])
        if not verdict.kind:
            if not (by_tenant := self.tenants.reason(tenant_id, user_agent, ip)):
                return verdict
            verdict = _BY_TENANT[by_tenant]
        if verdict.reason:
            self.reasons[verdict.reason] += 1
        return verdict

    def kind(self, method: str, user_agent: str) -> str:
        return self.verdict(method, user_agent).kind

    def _without_model(self, match: re.Match[str]) -> str:
        model = match.group(2)
        return match.group(0) if self._automation_model(model) else match.group(1) + "Phone"

    def _without_device(self, match: re.Match[str]) -> str:
        device = match.group(2)
        return match.group(0) if self._automation_model(device) else match.group(1) + ")"

    def _for_lists(self, ua: str) -> str:
        """The user agent as the crawler lists are asked about it: without what a person's
        device or browser writes there that the lists take for a crawler's token (free
        text of a maker, a browser of its own and the W3C library it is built on)."""
        listed = self._android_model.sub(self._without_model, ua, count=1)
        if "bbTV/" in listed or "FVC/" in listed:
            listed = self._tv_device.sub(self._without_device, listed)
        if "libwww" in listed:
            listed = self._browser_library.sub("", listed)
        if self._names_own_browser(listed):
            listed = self._own_browser.sub("", listed)
        return self._not_crawler_tokens.sub("", listed)

    def _names_own_browser(self, ua: str) -> bool:
        return self._own_browser_hint(ua) and self._own_browser.search(ua) is not None

    def _forged(self, ua: str) -> bool:
        if FORGED_PATTERN in ua or ("+" in ua and self._contact(ua) is not None):
            return True
        # Only a WebKit or Gecko browser's user agent: Internet Explorer's carried what its
        # toolbars and corporate agents added ("IDS7 Agent", a home page).
        engine = "AppleWebKit/" in ua or "Gecko/" in ua
        return engine and self._forged_hint(ua) and self._forged_signs(ua) is not None

    def _classify(self, ua: str) -> Verdict:
        if not ua.strip():
            return _EMPTY
        try:
            match = self._tokens.extract(ua)
        except UnicodeEncodeError:
            ua = scrub(ua)
            match = self._tokens.extract(ua)
        if match is not None:
            if match.family == _BROWSER:
                return PERSON
            if match.family != _SUSPECT:
                return _BY_TOKEN[match.family]
        if "(via " in ua and (forwarded := self._via_proxy.sub("", ua)) != ua:
            return self._classify(forwarded)
        self.slow_calls += 1
        listed = self._for_lists(ua)
        if self._is_crawler(listed):
            return _CRAWLERDETECT
        if self._is_listed(listed):
            return _CRAWLER_LIST
        if self._forged(listed):
            return _FORGED_BROWSER
        lowered = ua.lower()
        if self._feed_or_media(lowered):
            return _FEED_MEDIA
        # Last of the signals before the shape: the product's own rules name their class
        # first, and the list catches what they and the two crawler lists leave to it.
        if self._is_patterned(listed):
            return _PATTERN_LIST
        if self._shaped(lowered) or self._names_own_browser(ua) or self._built_on_libwww(ua):
            return PERSON
        return _NOT_BROWSER
