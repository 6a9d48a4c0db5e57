"""The demo's curated visitors are what they say they are, read by the product's own parser
and bot detector, and its traffic is the same for the same seed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumer.enrich.useragent import UserAgentParser
from roles import demo_data, demo_traffic
from roles.demo_traffic import DemoLinkRef
from smartlinks.bots.bots import BotDetector
from smartlinks.models import ResolvedLink

_PEOPLE_KINDS = {"desktop": {"desktop"}, "mobile": {"mobile", "tablet"}, "in_app": {"mobile"}}


@pytest.mark.parametrize("agent", demo_data.AGENTS, ids=lambda agent: agent.user_agent[:40])
def test_each_user_agent_is_read_as_labelled(agent: demo_data.Agent) -> None:
    verdict = BotDetector().verdict("GET", agent.user_agent)
    parsed = UserAgentParser().parse(agent.user_agent)
    if agent.kind in ("preview", "crawler"):
        assert verdict.kind in ({"preview"} if agent.kind == "preview" else {"crawler", "cli"})
    else:
        assert not verdict.kind
        assert parsed.device in _PEOPLE_KINDS[agent.kind]
        assert parsed.browser != "Other"


def _link(number: int, contact: str | None = None) -> DemoLinkRef:
    link = ResolvedLink(f"link{number}", "tenant", f"code{number}", "https://shop.example.com/", None,
                        "spring-sale" if contact else None, contact, True)  # fmt: skip
    return DemoLinkRef(link, 1.0)


def _traffic(seed: int) -> demo_traffic.Traffic:
    places = {country: ["81.2.69.160", "89.160.20.112"] for country in {*demo_data.COUNTRIES, "IE"}}
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    contacts = [_link(100 + n, contact) for n, contact in enumerate(demo_traffic.contact_ids(60, seed))]
    return demo_traffic.generate(
        seed, places, b"k" * 32, now, 90, 3000, [_link(n) for n in range(1, 5)], _link(0), contacts
    )


def test_the_same_seed_draws_the_same_traffic() -> None:
    first, second = _traffic(7), _traffic(7)
    assert [event.to_json() for event in first.clicks] == [event.to_json() for event in second.clicks]
    assert first.funnel == second.funnel
    assert _traffic(8).clicks[0].event_id != first.clicks[0].event_id


def test_traffic_has_bots_repeat_visitors_and_a_funnel() -> None:
    traffic = _traffic(1)
    clicks = traffic.clicks
    assert len(clicks) == 3000
    assert [event.ts for event in clicks] == sorted(event.ts for event in clicks)
    bots = {agent.user_agent for agent in demo_data.BOTS}
    share = sum(event.user_agent in bots for event in clicks) / len(clicks)
    assert 0.05 < share < 0.12
    assert sum(event.visitor_cookie is not None for event in clicks) > len(clicks) * 0.2
    days = {event.ts // demo_traffic.DAY_MS for event in clicks}
    assert len(days) >= 88
    kinds = [event["type"] for event in traffic.funnel]
    assert kinds.count("message.delivered") >= traffic.delivered > kinds.count("conversion") > 0
    clicked = {event.event_id for event in clicks}
    assert all(event["click_id"] in clicked for event in traffic.funnel if event["type"] == "conversion")
