"""A link's rules decided on the edge: used up, then targets, then variants.

Called only for a link with rules (``ResolvedLink.rules`` is not None); a plain link never
reaches this module. Each link's rules are turned once into a ``Plan`` (destinations as
``Location`` values, cumulative variant weights) and the plan is remembered per link, so a
click pays for the tests its rules name and nothing else:

- ``max_clicks``: a human click spends one click of the link's lease
  (``redirector/click_budget.py``); a bot's (HEAD, a crawler, a script: the consumer's own
  classifier, ``smartlinks.bots``, loaded on the first limited link) spends none. Bots a
  tenant marks itself (its user-agent patterns and IP ranges) are not known here and spend
  clicks like people: the consumer still counts them as bots in analytics.
- ``targets``: the first whose conditions all hold (OS and device from
  ``redirector/devices.py``, country from ``redirector/countries.py``, opened on the first
  country target).
- ``variants``: picked from a hash of the visitor and the link, so a visitor keeps its
  variant for as long as it keeps its cookie.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from redirector.click_budget import ClickBudgets, ClickCounter
from redirector.countries import Countries
from redirector.devices import os_and_device
from smartlinks.models import ResolvedLink
from smartlinks.rules import LinkRules
from smartlinks.urls import to_header_url

if TYPE_CHECKING:
    from smartlinks.bots.bots import BotDetector

# Plans remembered; past this the memo starts over (limited, targeted or split links are few).
_PLANS: Final = 65_536
_USER_AGENTS: Final = 4096  # verdicts remembered by user agent; then the memo starts over


@dataclass(frozen=True, slots=True)
class _Target:
    os: str | None
    device: str | None
    country: str | None
    location: str


@dataclass(frozen=True, slots=True)
class Plan:
    """One link's rules, ready for the edge."""

    rules: LinkRules
    expired_location: str | None
    targets: tuple[_Target, ...]
    needs_device: bool
    needs_country: bool
    variant_urls: tuple[str, ...]  # as the client sent them: what the click records
    variant_locations: tuple[str, ...]
    cumulative: tuple[int, ...]  # running sums of the weights; the last is the total


def plan_of(rules: LinkRules) -> Plan:
    targets = tuple(
        _Target(t.os, t.device, t.country, to_header_url(t.destination_url)) for t in rules.targets
    )
    cumulative: list[int] = []
    total = 0
    for variant in rules.variants:
        total += variant.weight
        cumulative.append(total)
    return Plan(
        rules=rules,
        expired_location=None if rules.expired_url is None else to_header_url(rules.expired_url),
        targets=targets,
        needs_device=any(t.os is not None or t.device is not None for t in targets),
        needs_country=any(t.country is not None for t in targets),
        variant_urls=tuple(v.destination_url for v in rules.variants),
        variant_locations=tuple(to_header_url(v.destination_url) for v in rules.variants),
        cumulative=tuple(cumulative),
    )


def variant_index(cumulative: tuple[int, ...], visitor: str, link_id: str) -> int:
    """The variant a visitor lands on: the same one every time for the same visitor and
    link, and each with a share of visitors proportional to its weight."""
    point = zlib.crc32(f"{visitor}/{link_id}".encode()) % cumulative[-1]
    for index, upto in enumerate(cumulative):
        if point < upto:
            return index
    return len(cumulative) - 1  # unreachable: point < total


class EdgeRules:
    """The rules of the links this redirector serves: plans, click leases, GeoIP."""

    def __init__(self, counter: ClickCounter, geoip_db: str = "") -> None:
        self.budgets = ClickBudgets(counter)
        self.countries = Countries(geoip_db)
        self._plans: dict[str, Plan] = {}
        self._bots: BotDetector | None = None
        self._humans: dict[str, bool] = {}

    def plan(self, link: ResolvedLink) -> Plan:
        rules = link.rules
        assert rules is not None
        plan = self._plans.get(link.link_id)
        # The hot cache hands back the same object; a record decoded again an equal one.
        if plan is None or (plan.rules is not rules and plan.rules != rules):
            if len(self._plans) >= _PLANS:
                self._plans.clear()
            plan = self._plans[link.link_id] = plan_of(rules)
        return plan

    def expired_location(self, link: ResolvedLink) -> str | None:
        """Where an expired or used-up link sends visitors, or None for the 410 page."""
        return None if link.rules is None else self.plan(link).expired_location

    def used_up(self, link: ResolvedLink) -> bool:
        rules = link.rules
        max_clicks = None if rules is None else rules.max_clicks
        return max_clicks is not None and self.budgets.used_up(link.link_id, max_clicks)

    async def admit(self, link: ResolvedLink, method: str, user_agent: str) -> bool:
        """Whether a click may go through a limited link: a human's spends one click."""
        rules = link.rules
        if rules is None or rules.max_clicks is None:
            return True
        if not self._is_human(method, user_agent):
            return not self.budgets.used_up(link.link_id, rules.max_clicks)
        return await self.budgets.take(link.link_id, rules.max_clicks)

    def destination(self, link: ResolvedLink, user_agent: str, ip: str, visitor: str) -> tuple[str, str]:
        """(Location value, the variant's URL as sent or '') for this visitor."""
        plan = self.plan(link)
        if plan.targets:
            os = device = country = ""
            if plan.needs_device:
                os, device = os_and_device(user_agent)
            if plan.needs_country:
                country = self.countries.country(ip)
            for target in plan.targets:
                if (
                    (target.os is None or target.os == os)
                    and (target.device is None or target.device == device)
                    and (target.country is None or target.country == country)
                ):
                    return target.location, ""
        if plan.cumulative:
            index = variant_index(plan.cumulative, visitor, link.link_id)
            return plan.variant_locations[index], plan.variant_urls[index]
        return link.location, ""

    def _is_human(self, method: str, user_agent: str) -> bool:
        if method == "HEAD":
            return False
        # A dict hit (~0.05 µs) before the classifier's own cache (~0.4 µs with its wrapper):
        # campaign traffic repeats user agents.
        human = self._humans.get(user_agent)
        if human is None:
            if self._bots is None:
                # Loaded on the first limited link: it costs a redirector ~MBs and its
                # start-up time (bench/role_startup.py), which links without max_clicks never pay.
                from smartlinks.bots.bots import BotDetector

                self._bots = BotDetector()
            if len(self._humans) >= _USER_AGENTS:
                self._humans.clear()
            human = self._humans[user_agent] = not self._bots.verdict(method, user_agent).kind
        return human

    async def close(self) -> None:
        await self.budgets.close()
        self.countries.close()
