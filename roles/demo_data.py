"""What ``smartlinks demo`` draws its visitors from: countries, real user agents, referrers
and the demo tenant's links, curated here so the product never depends on the benchmarks'
corpus (bench/ is not shipped). The user agents are real ones of their kind; the tests
check that the product's own parser and bot detector read each as it is labelled here.
"""

# ruff: noqa: E501  (real user agents are long; one a line reads as the table it is)

from __future__ import annotations

from typing import Final, NamedTuple


class Agent(NamedTuple):
    user_agent: str
    kind: str  # desktop | mobile | in_app | preview | crawler
    weight: float


# Countries by share of human clicks, with a UTC offset for their daily rhythm and the
# Accept-Language their browsers send.
COUNTRIES: Final = {
    "US": (22.0, -5, "en-US,en;q=0.9"),
    "BR": (10.0, -3, "pt-BR,pt;q=0.9,en;q=0.7"),
    "GB": (8.0, 0, "en-GB,en;q=0.9"),
    "DE": (8.0, 1, "de-DE,de;q=0.9,en;q=0.6"),
    "IN": (8.0, 5, "en-IN,hi;q=0.8,en;q=0.7"),
    "NL": (6.0, 1, "nl-NL,nl;q=0.9,en;q=0.8"),
    "FR": (5.0, 1, "fr-FR,fr;q=0.9,en;q=0.6"),
    "MX": (5.0, -6, "es-MX,es;q=0.9,en;q=0.6"),
    "ES": (4.0, 1, "es-ES,es;q=0.9"),
    "CA": (4.0, -5, "en-CA,fr-CA;q=0.8"),
    "ID": (3.5, 7, "id-ID,id;q=0.9,en;q=0.6"),
    "AU": (3.0, 10, "en-AU,en;q=0.9"),
    "IT": (3.0, 1, "it-IT,it;q=0.9,en;q=0.6"),
    "JP": (2.5, 9, "ja-JP,ja;q=0.9"),
    "NG": (2.0, 1, "en-NG,en;q=0.9"),
    "ZA": (1.5, 2, "en-ZA,en;q=0.9"),
    "PL": (1.5, 1, "pl-PL,pl;q=0.9,en;q=0.6"),
    "TR": (1.5, 3, "tr-TR,tr;q=0.9"),
    "SE": (1.0, 1, "sv-SE,sv;q=0.9,en;q=0.8"),
    "AR": (1.0, -3, "es-AR,es;q=0.9"),
}
# Where crawlers and link-preview fetchers run: their owners' data centres.
BOT_COUNTRIES: Final = ("US", "US", "US", "IE", "DE", "NL")

_IOS = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
_ANDROID_WV = "Mozilla/5.0 (Linux; Android 14; SM-S921B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36"

# fmt: off
AGENTS: Final = (
    # Desktop browsers.
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "desktop", 14),
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80", "desktop", 4),
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "desktop", 3),
    Agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", "desktop", 5),
    Agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "desktop", 5),
    Agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "desktop", 1.5),
    Agent("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "desktop", 0.8),
    # Phone and tablet browsers.
    Agent(f"{_IOS} Version/17.4.1 Mobile/15E148 Safari/604.1", "mobile", 16),
    Agent("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", "mobile", 15),
    Agent("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "mobile", 4),
    Agent(f"{_IOS} CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "mobile", 2),
    Agent("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "mobile", 1.5),
    # In-app browsers: a link opened inside the app it was posted in.
    Agent(f"{_IOS} Mobile/15E148 Instagram 329.0.3.29.98 (iPhone15,2; iOS 17_4_1; en_US; en; scale=3.00; 1179x2556; 596222932)", "in_app", 6),
    Agent(f"{_ANDROID_WV} Instagram 329.0.0.41.93 Android (34/14; 450dpi; 1080x2340; samsung; SM-S921B; e1s; s5e9945; en_US; 594131521)", "in_app", 3),
    Agent(f"{_IOS} Mobile/15E148 [FBAN/FBIOS;FBAV/459.0.0.38.108;FBBV/571410830;FBDV/iPhone14,7;FBMD/iPhone;FBSN/iOS;FBSV/17.4.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/573298458]", "in_app", 4),
    Agent("Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP1A.240405.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.54 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/460.0.0.48.109;]", "in_app", 3),
    Agent(f"{_IOS} Mobile/15E148 musical_ly_34.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US RevealType/Dialog isDarkMode/0 WKWebView/1 BytedanceWebview/d8a21c6", "in_app", 2),
    Agent(f"{_ANDROID_WV} trill_340103 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/34.1.3 ByteLocale/en ByteFullLocale/en Region/US Spark/1.5.2-alpha.3 AppVersion/34.1.3 BytedanceWebview/d8a21c6", "in_app", 2),
    Agent(f"{_IOS} Mobile/15E148 Safari Line/14.2.0", "in_app", 0.6),
    Agent(f"{_IOS} Mobile/15E148 Snapchat/13.1.0.35 (like Safari/8617.1.17.10.9, panda)", "in_app", 0.8),
    # Link-preview fetchers: a message or a post with the link in it, not a reader.
    Agent("WhatsApp/2.24.8.78 A", "preview", 3),
    Agent("WhatsApp/2.24.8.78 i", "preview", 2),
    Agent("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "preview", 2),
    Agent("Twitterbot/1.0", "preview", 1),
    Agent("TelegramBot (like TwitterBot)", "preview", 1),
    Agent("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "preview", 1),
    Agent("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "preview", 0.6),
    Agent("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "preview", 0.6),
    # Crawlers and scripts.
    Agent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "crawler", 1.2),
    Agent("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "crawler", 0.6),
    Agent("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "crawler", 0.5),
    Agent("curl/8.5.0", "crawler", 0.3),
    Agent("python-requests/2.31.0", "crawler", 0.3),
)
# fmt: on
PEOPLE: Final = tuple(agent for agent in AGENTS if agent.kind in ("desktop", "mobile", "in_app"))
PHONES: Final = tuple(agent for agent in AGENTS if agent.kind in ("mobile", "in_app"))
BOTS: Final = tuple(agent for agent in AGENTS if agent.kind in ("preview", "crawler"))
WHATSAPP_PREVIEW: Final = "WhatsApp/2.24.8.78 A"

# Who sent a visitor, by how its browser opened the link.
REFERRERS: Final = {
    "desktop": (("", 40), ("https://www.google.com/", 22), ("https://t.co/", 8), ("https://www.linkedin.com/", 8),
                ("https://mail.google.com/", 7), ("https://news.ycombinator.com/", 4), ("https://duckduckgo.com/", 4),
                ("https://www.bing.com/", 4), ("https://www.reddit.com/", 3)),
    "mobile": (("", 55), ("https://www.google.com/", 20), ("https://t.co/", 8), ("https://www.reddit.com/", 5),
               ("android-app://com.google.android.gm/", 7), ("https://www.bing.com/", 2), ("https://duckduckgo.com/", 3)),
}  # fmt: skip
IN_APP_REFERRERS: Final = {
    "Instagram": "https://l.instagram.com/",
    "FBAN": "https://l.facebook.com/",
    "FB_IAB": "https://m.facebook.com/",
}


class DemoLink(NamedTuple):
    title: str
    path: str  # on the demo shop's site
    tags: tuple[str, ...]
    weight: float  # its share of the everyday clicks
    variants: tuple[tuple[str, int], ...] = ()  # (path, weight) of an A/B test
    campaign: str | None = None


SHOP = "https://shop.example.com"
CAMPAIGN = "spring-sale"
CAMPAIGN_TITLE = "Spring sale"
LINKS: Final = (
    DemoLink("Spring sale: landing page", "/spring-sale", ("spring", "instagram"), 1.0, campaign=CAMPAIGN),
    DemoLink("Aurora headphones launch", "/aurora", ("launch", "product"), 3.0,
             (("/aurora?layout=hero", 50), ("/aurora?layout=video", 50)), "aurora-launch"),
    DemoLink("Newsletter: April issue", "/newsletter/april", ("newsletter",), 1.6, campaign="newsletter"),
    DemoLink("Blog: ten tips for shorter links", "/blog/ten-tips", ("blog",), 2.2),
    DemoLink("Webinar sign-up", "/webinar", ("events",), 0.9, campaign="webinar"),
    DemoLink("Pricing", "/pricing", ("product",), 1.4),
    DemoLink("Careers", "/careers", ("hiring",), 0.5),
    DemoLink("Instagram bio", "/", ("social", "instagram"), 1.8),
)  # fmt: skip
# First names of the campaign's contacts, for their ids ("maria-0042").
NAMES: Final = (
    "maria", "joao", "ana", "lucas", "emma", "noah", "olivia", "liam", "sofia", "mateo", "mia", "leon",
    "priya", "arjun", "lea", "jan", "chloe", "hugo", "lucia", "pablo", "aisha", "kofi", "yuki", "ren",
)  # fmt: skip
