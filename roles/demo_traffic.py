"""The clicks, deliveries and conversions of ``smartlinks demo``, drawn from a seed.

Clicks are the ``ClickEvent`` the redirector would have written for each visit: the
visitor's IP, user agent, referrer and language, its first-party cookie from its second
click on (a repeat visitor), the visitor id the edge decides (``smartlinks.visitor``) and,
on the A/B link, the variant the edge would pick for that visitor. Everything but the
link ids, the deployment's visitor key and the moment it runs follows from the seed (event
ids included): the same seed draws the same visitors, places and shape of traffic.

The shape: more clicks on weekdays and in each country's daytime, traffic growing over the
period, the spring sale's messages sent three weeks before the end with a burst of clicks
after each send, ~7 % link-preview fetchers and crawlers, people coming back.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from redirector.link_rules import plan_of, variant_index
from roles import demo_data
from roles.demo_data import Agent
from schemas.events import ClickEvent
from smartlinks.models import ResolvedLink, to_ms
from smartlinks.visitor import visitor_hash

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
BOT_SHARE = 0.07
REPEAT_SHARE = 0.3  # of human clicks: someone who clicked the link before
# The hours people click in, local time: a night trough, a morning rise, an evening peak.
_HOURS = (2, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 10, 11, 10, 9, 9, 9, 10, 11, 12, 11, 9, 6, 4)
_WEEKDAYS = (1.1, 1.15, 1.1, 1.05, 1.0, 0.7, 0.6)  # Monday first


@dataclass
class Visitor:
    country: str
    ip: str
    agent: Agent
    language: str
    cookie: str | None = None  # set by its first redirect


@dataclass
class DemoLinkRef:
    """A link the clicks go to, as the redirector resolved it."""

    link: ResolvedLink
    weight: float
    variant_plan: tuple[tuple[int, ...], tuple[str, ...]] | None = None
    visitors: list[Visitor] = field(default_factory=list)


@dataclass
class Traffic:
    clicks: list[ClickEvent]
    funnel: list[dict[str, Any]]  # the bodies of POST /api/v1/events, one event each
    contacts: int
    delivered: int


def _pick(rng: random.Random, items: list[Any], cumulative: list[float]) -> Any:
    return items[bisect(cumulative, rng.random() * cumulative[-1])]


class Generator:
    def __init__(
        self, seed: int, places: dict[str, list[str]], visitor_key: bytes, now: datetime, days: int
    ) -> None:
        self.rng = random.Random(f"demo-traffic-{seed}")
        self.places = places
        self.visitor_key = visitor_key
        self.end_ms = to_ms(now)
        self.days = days
        self.start_ms = self.end_ms - days * DAY_MS
        countries = [c for c in demo_data.COUNTRIES if c in places]
        self.countries = countries
        self.country_weights = list(accumulate(demo_data.COUNTRIES[c][0] for c in countries))
        self.people = list(demo_data.PEOPLE)
        self.people_weights = list(accumulate(a.weight for a in self.people))
        self.phones = list(demo_data.PHONES)
        self.phone_weights = list(accumulate(a.weight for a in self.phones))
        self.bots = list(demo_data.BOTS)
        self.bot_weights = list(accumulate(a.weight for a in self.bots))
        self.bot_countries = [c for c in demo_data.BOT_COUNTRIES if c in places] or countries[:1]
        self._conversions: list[tuple[int, DemoLinkRef, int]] = []

    # -- ids and people ------------------------------------------------------------------

    def event_id(self, ts: int) -> str:
        """A UUIDv7 of ``ts`` whose random bits come from the seed (see smartlinks.ids)."""
        rand = self.rng.getrandbits(74)
        value = (
            (ts & 0xFFFF_FFFF_FFFF) << 80
            | 0x7 << 76
            | (rand >> 62) << 64
            | 0b10 << 62
            | (rand & ((1 << 62) - 1))
        )
        return f"{value:032x}"

    def person(self, phone: bool = False) -> Visitor:
        country = _pick(self.rng, self.countries, self.country_weights)
        agent = (
            _pick(self.rng, self.phones, self.phone_weights)
            if phone
            else _pick(self.rng, self.people, self.people_weights)
        )
        return Visitor(country, self.address(country), agent, demo_data.COUNTRIES[country][2])

    def address(self, country: str) -> str:
        """One of the country's places, another host of its /24: the databases place whole
        networks (a /24 at least), so it is in the same city, and the people of one city do
        not all share an address."""
        network = self.rng.choice(self.places[country]).rpartition(".")[0]
        return f"{network}.{self.rng.randrange(1, 255)}"

    def bot(self) -> Visitor:
        country = self.rng.choice(self.bot_countries)
        return Visitor(
            country, self.rng.choice(self.places[country]), _pick(self.rng, self.bots, self.bot_weights), ""
        )

    def referrer(self, visitor: Visitor) -> str:
        agent = visitor.agent
        if agent.kind == "in_app":
            return next(
                (ref for marker, ref in demo_data.IN_APP_REFERRERS.items() if marker in agent.user_agent), ""
            )
        if agent.kind in ("preview", "crawler"):
            return ""
        choices = demo_data.REFERRERS[agent.kind]
        return self.rng.choices([r for r, _ in choices], [w for _, w in choices])[0]

    def click(self, ref: DemoLinkRef, visitor: Visitor, ts: int, method: str = "GET") -> ClickEvent:
        """The event the edge writes for this visit (redirector/edge.py)."""
        link = ref.link
        bot = visitor.agent.kind in ("preview", "crawler")
        cookie = None if bot else visitor.cookie
        visitor_id = cookie or visitor_hash(self.visitor_key, visitor.ip, visitor.agent.user_agent)
        variant = ""
        if ref.variant_plan is not None:
            cumulative, urls = ref.variant_plan
            variant = urls[variant_index(cumulative, visitor_id, link.link_id)]
        if not bot:
            visitor.cookie = visitor_id  # the Set-Cookie of the redirect
        return ClickEvent(
            event_id=self.event_id(ts),
            ts=ts,
            tenant_id=link.tenant_id,
            link_id=link.link_id,
            code=link.code,
            campaign=link.campaign,
            contact_id=link.contact_id,
            method="HEAD" if method == "HEAD" else "GET",
            ip=visitor.ip,
            user_agent=visitor.agent.user_agent,
            referer=self.referrer(visitor),
            accept_language=visitor.language,
            visitor_cookie=cookie,
            collect_metadata=link.collect_metadata,
            visitor_id=visitor_id,
            variant=variant,
        )

    # -- when ----------------------------------------------------------------------------

    def day_weights(self) -> list[float]:
        weights = []
        for day in range(self.days):
            start = datetime.fromtimestamp((self.start_ms + day * DAY_MS) / 1000, UTC)
            growth = 0.45 + 1.1 * day / max(self.days - 1, 1)
            noise = self.rng.uniform(0.85, 1.15)
            weights.append(growth * _WEEKDAYS[start.weekday()] * noise)
        return weights

    def moment(self, day: int, country: str) -> int:
        """A time on ``day`` (from the start) that follows the country's daily rhythm."""
        offset = demo_data.COUNTRIES.get(country, (0, 0, ""))[1]
        local_hour = self.rng.choices(range(24), _HOURS)[0]
        hour = (local_hour - offset) % 24
        ts = self.start_ms + day * DAY_MS + hour * HOUR_MS + self.rng.randrange(HOUR_MS)
        return min(ts, self.end_ms - 1000)

    # -- the whole period ----------------------------------------------------------------

    def everyday(self, links: list[DemoLinkRef], total: int) -> list[tuple[int, DemoLinkRef, Visitor, str]]:
        """The ordinary links' clicks: (ts, link, visitor, method), in time order."""
        day_weights = self.day_weights()
        link_weights = list(accumulate(ref.weight for ref in links))
        day_cumulative = list(accumulate(day_weights))
        visits: list[tuple[int, DemoLinkRef, Visitor, str]] = []
        for _ in range(total):
            day = bisect(day_cumulative, self.rng.random() * day_cumulative[-1])
            ref = _pick(self.rng, links, link_weights)
            if self.rng.random() < BOT_SHARE:
                visitor = self.bot()
                method = "HEAD" if self.rng.random() < 0.1 else "GET"
            else:
                visitor = self.person()
                method = "GET"
            visits.append((self.moment(day, visitor.country), ref, visitor, method))
        visits.sort(key=lambda visit: visit[0])
        # Repeat visitors: in time order, a share of each link's human clicks are someone back.
        for index, (ts, ref, visitor, method) in enumerate(visits):
            if visitor.agent.kind in ("preview", "crawler"):
                continue
            if ref.visitors and self.rng.random() < REPEAT_SHARE:
                visitor = self.rng.choice(ref.visitors[-200:])
                visits[index] = (ts, ref, visitor, method)
            else:
                ref.visitors.append(visitor)
        return visits

    def burst(
        self, ref: DemoLinkRef, sends: list[int], total: int
    ) -> list[tuple[int, DemoLinkRef, Visitor, str]]:
        """The sale's landing page: clicks right after each send, fading over two days."""
        visits = []
        for _ in range(total):
            send = self.rng.choice(sends)
            ts = min(send + int(self.rng.expovariate(1 / (9 * HOUR_MS))), self.end_ms - 1000)
            visitor = (
                self.bot() if self.rng.random() < BOT_SHARE else self.person(phone=self.rng.random() < 0.8)
            )
            visits.append((ts, ref, visitor, "GET"))
        return visits

    def campaign(
        self, contacts: list[DemoLinkRef], sends: list[int]
    ) -> tuple[list[tuple[int, DemoLinkRef, Visitor, str]], list[dict[str, Any]], int]:
        """Each contact's message, its preview, its clicks and maybe a purchase: the visits,
        the funnel events (deliveries, conversions naming the click they follow) and how
        many contacts were delivered to."""
        visits: list[tuple[int, DemoLinkRef, Visitor, str]] = []
        funnel: list[dict[str, Any]] = []
        pending_conversions: list[tuple[int, DemoLinkRef, int]] = []  # (visit index, link, delay)
        delivered = 0
        for number, ref in enumerate(contacts):
            contact = ref.link.contact_id
            person = self.person(phone=self.rng.random() < 0.9)
            clicked = False
            for round_, send in enumerate(sends):
                if clicked or self.rng.random() > 0.95:  # a reminder goes to those who did not click
                    break
                at = send + number * 1500 + self.rng.randrange(60_000)
                funnel.append(
                    {
                        "type": "message.delivered",
                        "id": f"demo-{ref.link.campaign}-{round_ + 1}-{contact}",
                        "at": _iso(at),
                        "campaign": ref.link.campaign,
                        "contact_id": contact,
                        "message_id": f"msg-{round_ + 1}-{contact}",
                    }
                )
                delivered += round_ == 0
                if self.rng.random() < 0.35:  # the messenger fetched a preview of the link
                    preview = Visitor("US", self.rng.choice(self.places[self.bot_countries[0]]),
                                      Agent(demo_data.WHATSAPP_PREVIEW, "preview", 1), "")  # fmt: skip
                    visits.append((at + self.rng.randrange(1000, 20_000), ref, preview, "GET"))
                if self.rng.random() < (0.5 if round_ == 0 else 0.25):
                    clicked = True
                    ts = at + int(self.rng.expovariate(1 / (2 * HOUR_MS)))
                    first = len(visits)
                    visits.append((min(ts, self.end_ms - 1000), ref, person, "GET"))
                    for _ in range(self.rng.choice((0, 0, 1, 1, 2, 3))):  # back to look again
                        ts += int(self.rng.expovariate(1 / (20 * HOUR_MS)))
                        if ts < self.end_ms:
                            visits.append((ts, ref, person, "GET"))
                    if self.rng.random() < 0.4:
                        pending_conversions.append((first, ref, self.rng.randrange(5, 180) * 60_000))
        self._conversions = pending_conversions
        return visits, funnel, delivered

    def conversions(self, events: dict[int, ClickEvent]) -> list[dict[str, Any]]:
        """Purchases after the first click of a converting contact, naming that click."""
        bought = []
        for index, ref, delay in self._conversions:
            click = events[index]
            at = min(click.ts + delay, self.end_ms - 1000)
            value = self.rng.choice((19.9, 24.5, 39, 49.9, 59, 79.5, 99, 129))
            bought.append(
                {
                    "type": "conversion",
                    "id": f"demo-order-{click.event_id[-12:]}",
                    "at": _iso(at),
                    "campaign": ref.link.campaign,
                    "contact_id": ref.link.contact_id,
                    "name": "purchase",
                    "click_id": click.event_id,
                    "value": str(value),
                    "currency": "EUR",
                }
            )
        return bought


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def variant_plan(link: ResolvedLink) -> tuple[tuple[int, ...], tuple[str, ...]] | None:
    if link.rules is None or not link.rules.variants:
        return None
    plan = plan_of(link.rules)
    return plan.cumulative, plan.variant_urls


def generate(
    seed: int,
    places: dict[str, list[str]],
    visitor_key: bytes,
    now: datetime,
    days: int,
    total: int,
    links: list[DemoLinkRef],
    landing: DemoLinkRef,
    contacts: list[DemoLinkRef],
) -> Traffic:
    """About ``total`` clicks over ``days`` days up to ``now``, with the campaign's funnel."""
    gen = Generator(seed, places, visitor_key, now, days)
    send_day = max(days - 21, 0)
    first_send = gen.start_ms + send_day * DAY_MS + 9 * HOUR_MS
    sends = [first_send] + ([first_send + 7 * DAY_MS] if days - send_day > 7 else [])
    sends = [send for send in sends if send < gen.end_ms]
    campaign_visits, funnel, delivered = gen.campaign(contacts, sends)
    landing_clicks = int(total * 0.12)
    everyday = max(total - landing_clicks - len(campaign_visits), 0)
    visits = gen.everyday(links, everyday) + gen.burst(landing, sends, landing_clicks)
    indexed = [(visit, index) for index, visit in enumerate(campaign_visits)]
    everything = [(visit, -1) for visit in visits] + indexed
    everything.sort(key=lambda item: item[0][0])
    clicks: list[ClickEvent] = []
    by_campaign_index: dict[int, ClickEvent] = {}
    for (ts, ref, visitor, method), index in everything:
        event = gen.click(ref, visitor, ts, method)
        clicks.append(event)
        if index >= 0:
            by_campaign_index[index] = event
    funnel += gen.conversions(by_campaign_index)
    return Traffic(clicks, funnel, len(contacts), delivered)


def contact_ids(count: int, seed: int) -> list[str]:
    """The campaign's contacts: ``maria-0042``, the same for the same seed."""
    rng = random.Random(f"demo-contacts-{seed}")
    return [f"{rng.choice(demo_data.NAMES)}-{number:04d}" for number in range(1, count + 1)]


def contacts_for(clicks: int) -> int:
    """A few hundred contacts, fewer for a small demo."""
    return max(20, min(300, int(math.sqrt(clicks) * 2)))
