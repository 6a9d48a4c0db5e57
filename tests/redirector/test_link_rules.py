"""Link rules decided on the edge, over real HTTP: max_clicks and expired_url, targets by
OS, device and country, weighted variants that a visitor keeps, each alone and combined;
bots that never use a link up; a rule change reaching the cache; two redirectors on one
store that never let more clicks through than the limit."""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from redirector.link_rules import plan_of, variant_index
from schemas.events import LinkChange
from smartlinks.models import LinkPatch, utcnow
from smartlinks.rules import LinkRules, Target, Variant
from smartlinks.visitor import COOKIE_NAME, visitor_hash
from tests.redirector.conftest import Edge, make_edge

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0 Safari/537.36"
)
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4 Safari/605.1.15"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HOME = "https://example.com/landing"


_http: list[httpx.Client] = []


@pytest.fixture(scope="module", autouse=True)
def http_client() -> Iterator[None]:
    # One client for the module: a new one per request costs ~50 ms of TLS set-up alone.
    with httpx.Client(follow_redirects=False) as client:
        _http.append(client)
        yield
        _http.clear()


def get(edge: Edge, code: str, ua: str = CHROME, **headers: str) -> httpx.Response:
    _http[0].cookies.clear()  # a visitor's cookie only when the test sends one
    return _http[0].get(f"{edge.url}/{code}", headers={"User-Agent": ua, **headers})


def changed(edge: Edge, link_id: str, code: str) -> None:
    """What the outbox relay does after an edit: the change reaches the redirector's cache."""
    edge.call(edge.changes.publish([LinkChange("updated", edge.tenant_id, link_id, code, 0)]))


def visitor(n: int) -> str:
    return visitor_hash(b"v" * 32, f"10.0.{n // 256}.{n % 256}", CHROME)


def cookie(n: int) -> dict[str, str]:
    return {"Cookie": f"{COOKIE_NAME}={visitor(n)}"}


# -- max_clicks and expired_url -------------------------------------------------------------


def test_a_link_is_used_up_after_max_clicks_human_clicks(edge: Edge) -> None:
    link = edge.link(HOME, rules=LinkRules(max_clicks=3))
    assert [get(edge, link.code).status_code for _ in range(5)] == [302, 302, 302, 410, 410]
    assert get(edge, link.code).headers["content-type"].startswith("text/html")
    assert len(edge.events()) == 3  # the 410s are no clicks
    assert edge.call(edge.store.click_counts.used(link.id)) <= 3


def test_a_used_up_link_sends_visitors_to_its_expired_url(edge: Edge) -> None:
    link = edge.link(HOME, rules=LinkRules(max_clicks=1, expired_url="https://example.com/sold-out/ü"))
    assert get(edge, link.code).headers["location"] == HOME
    gone = get(edge, link.code)
    assert gone.status_code == 302
    assert gone.headers["location"] == "https://example.com/sold-out/%C3%BC"  # a header value
    assert len(edge.events()) == 1


def test_an_expired_link_sends_visitors_to_its_expired_url(edge: Edge) -> None:
    past = utcnow() - timedelta(minutes=1)
    link = edge.link(HOME, expires_at=past, rules=LinkRules(expired_url="https://example.com/over"))
    plain = edge.link(HOME, expires_at=past)
    assert get(edge, link.code).headers["location"] == "https://example.com/over"
    assert get(edge, plain.code).status_code == 410
    assert edge.events() == []


def test_bots_never_use_a_link_up(edge: Edge) -> None:
    link = edge.link(HOME, rules=LinkRules(max_clicks=2))
    for _ in range(5):
        assert httpx.head(f"{edge.url}/{link.code}", headers={"User-Agent": CHROME}).status_code == 302
        assert get(edge, link.code, GOOGLEBOT).status_code == 302
        assert get(edge, link.code, "curl/8.4.0").status_code == 302
    assert [get(edge, link.code).status_code for _ in range(3)] == [302, 302, 410]
    # Once it is used up, bots are told so too.
    assert get(edge, link.code, GOOGLEBOT).status_code == 410
    assert len(edge.events()) == 17


def test_raising_max_clicks_opens_a_used_up_link_again(edge: Edge) -> None:
    link = edge.link(HOME, rules=LinkRules(max_clicks=2))
    assert [get(edge, link.code).status_code for _ in range(3)] == [302, 302, 410]
    edge.call(edge.store.update_link(edge.tenant_id, link.id, LinkPatch(max_clicks=4)))
    changed(edge, link.id, link.code)
    assert [get(edge, link.code).status_code for _ in range(3)] == [302, 302, 410]
    assert len(edge.events()) == 4


def test_query_and_click_id_go_to_the_destination_chosen(edge: Edge) -> None:
    link = edge.link(
        HOME,
        conversion_tracking=True,
        rules=LinkRules(max_clicks=5, variants=(Variant("https://example.com/b?v=1", 1),)),
    )
    response = httpx.get(f"{edge.url}/{link.code}?utm_source=mail", follow_redirects=False)
    event = edge.events()[0]
    assert (
        response.headers["location"] == f"https://example.com/b?v=1&utm_source=mail&sl_click={event.event_id}"
    )
    assert event.variant == "https://example.com/b?v=1"


def test_two_redirectors_on_one_store_never_let_more_clicks_through(tmp_path: Path) -> None:
    limit = 60
    first_gen = make_edge(tmp_path / "a")
    first = next(first_gen)
    second_gen = make_edge(tmp_path / "b", store_path=first.store.path)
    second = next(second_gen)
    try:
        link = first.link(HOME, rules=LinkRules(max_clicks=limit))

        async def burst(edge: Edge, n: int) -> list[int]:
            async with httpx.AsyncClient(headers={"User-Agent": CHROME}) as client:
                answers = await asyncio.gather(*(client.get(f"{edge.url}/{link.code}") for _ in range(n)))
            return [a.status_code for a in answers]

        async def both() -> list[int]:
            a, b = await asyncio.gather(burst(first, limit), burst(second, limit))
            return a + b

        statuses = asyncio.run(both())
        # Each redirector spends what it leased; nothing past the limit, ever.
        assert statuses.count(302) <= limit
        # Clicks still held unspent by one of them are bounded: each asks again until used up.
        for edge in (first, second):
            while get(edge, link.code).status_code == 302:
                statuses.append(302)
        assert statuses.count(302) == limit
        assert len(first.events()) + len(second.events()) == limit
    finally:
        for gen in (second_gen, first_gen):
            gen.close()


def test_unspent_clicks_go_back_to_the_store_on_shutdown(tmp_path: Path) -> None:
    first_gen = make_edge(tmp_path / "a")
    first = next(first_gen)
    link = first.link(HOME, rules=LinkRules(max_clicks=1000))
    assert get(first, link.code).status_code == 302
    assert first.call(first.store.click_counts.used(link.id)) > 1  # a lease, not one click
    path = first.store.path
    first_gen.close()
    second_gen = make_edge(tmp_path / "b", store_path=path)
    second = next(second_gen)
    try:
        assert second.call(second.store.click_counts.used(link.id)) == 1
    finally:
        second_gen.close()


# -- targets -------------------------------------------------------------------------------


def test_targets_by_os_and_device(edge: Edge) -> None:
    targets = (
        Target("https://apps.apple.com/app", os="ios", device="mobile"),
        Target("https://example.com/tablet", device="tablet"),
        Target("https://play.google.com/app", os="android"),
        Target("https://example.com/mac", os="macos"),
    )
    link = edge.link(HOME, rules=LinkRules(targets=targets))
    expected = {
        IPHONE: "https://apps.apple.com/app",
        IPAD: "https://example.com/tablet",
        ANDROID_TABLET: "https://example.com/tablet",
        ANDROID_PHONE: "https://play.google.com/app",
        MAC: "https://example.com/mac",
        CHROME: HOME,
        "": HOME,
    }
    for ua, location in expected.items():
        assert get(edge, link.code, ua).headers["location"] == location, ua
    assert {e.variant for e in edge.events()} == {""}


@pytest.fixture
def proxied_edge(tmp_path: Path) -> Iterator[Edge]:
    yield from make_edge(tmp_path, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),))


def test_targets_by_country(proxied_edge: Edge) -> None:
    edge = proxied_edge
    link = edge.link(
        HOME,
        rules=LinkRules(
            targets=(
                Target("https://example.com/us-iphone", os="ios", country="US"),
                Target("https://example.com/us", country="US"),
                Target("https://example.com/gb", country="GB"),
            )
        ),
    )
    us, gb, local = ({"X-Forwarded-For": ip} for ip in ("8.8.8.8", "81.2.69.142", "10.0.0.1"))
    assert get(edge, link.code, IPHONE, **us).headers["location"] == "https://example.com/us-iphone"
    assert get(edge, link.code, CHROME, **us).headers["location"] == "https://example.com/us"
    assert get(edge, link.code, CHROME, **gb).headers["location"] == "https://example.com/gb"
    assert get(edge, link.code, CHROME, **local).headers["location"] == HOME


def test_a_rule_change_reaches_the_next_redirect(edge: Edge) -> None:
    link = edge.link(HOME)
    assert get(edge, link.code, IPHONE).headers["location"] == HOME
    patch = LinkPatch(targets=(Target("https://apps.apple.com/app", os="ios"),))
    edge.call(edge.store.update_link(edge.tenant_id, link.id, patch))
    changed(edge, link.id, link.code)
    assert get(edge, link.code, IPHONE).headers["location"] == "https://apps.apple.com/app"
    edge.call(edge.store.update_link(edge.tenant_id, link.id, LinkPatch(targets=())))
    changed(edge, link.id, link.code)
    assert get(edge, link.code, IPHONE).headers["location"] == HOME


# -- variants ------------------------------------------------------------------------------

SPLIT = (Variant("https://example.com/a", 1), Variant("https://example.com/b", 3))


def test_a_visitor_keeps_its_variant(edge: Edge) -> None:
    link = edge.link(HOME, rules=LinkRules(variants=SPLIT))
    for n in range(20):
        first = get(edge, link.code, **cookie(n)).headers["location"]
        assert all(get(edge, link.code, **cookie(n)).headers["location"] == first for _ in range(3))
    # A new visitor gets the cookie its first answer was decided with, and keeps the variant.
    response = get(edge, link.code, "Visitor/1")
    value = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    again = get(edge, link.code, "Another/2", Cookie=f"{COOKIE_NAME}={value}")
    assert again.headers["location"] == response.headers["location"]
    events = edge.events()
    assert {e.variant for e in events} <= {"https://example.com/a", "https://example.com/b"}


def test_variants_split_visitors_by_weight(edge: Edge) -> None:
    link = edge.link(HOME, rules=LinkRules(variants=SPLIT))
    seen = Counter(get(edge, link.code, **cookie(n)).headers["location"] for n in range(400))
    assert 0.18 < seen["https://example.com/a"] / 400 < 0.32
    # The same choice as the pure function, over many more visitors.
    cumulative = plan_of(LinkRules(variants=SPLIT)).cumulative
    picks = Counter(variant_index(cumulative, visitor(n), link.id) for n in range(40_000))
    assert abs(picks[0] / 40_000 - 0.25) < 0.01


def test_a_limited_link_with_variants(edge: Edge) -> None:
    link = edge.link(HOME, rules=LinkRules(max_clicks=10, variants=SPLIT))
    statuses = [get(edge, link.code, **cookie(n)).status_code for n in range(12)]
    assert statuses == [302] * 10 + [410] * 2
    variants = Counter(e.variant for e in edge.events())
    assert sum(variants.values()) == 10 and set(variants) <= {v.destination_url for v in SPLIT}


def test_targets_come_before_variants(edge: Edge) -> None:
    rules = LinkRules(targets=(Target("https://apps.apple.com/app", os="ios"),), variants=SPLIT)
    link = edge.link(HOME, rules=rules)
    assert get(edge, link.code, IPHONE, **cookie(1)).headers["location"] == "https://apps.apple.com/app"
    assert get(edge, link.code, CHROME, **cookie(1)).headers["location"] in {v.destination_url for v in SPLIT}
    assert [e.variant for e in edge.events()] == ["", edge.events()[1].variant]
    assert edge.events()[1].variant in {v.destination_url for v in SPLIT}
