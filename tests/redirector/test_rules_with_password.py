"""A password link with other rules, over real HTTP: the page spends no click of a limited
link, a visitor who passes spends one and goes where the targets say, and a used-up link
shows no password page at all."""

from __future__ import annotations

import httpx

from smartlinks.passwords import hash_password
from smartlinks.rules import LinkRules, Target
from tests.redirector.conftest import Edge

PASSWORD = "open sesame"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"


def test_a_limited_password_link_with_targets(edge: Edge) -> None:
    rules = LinkRules(
        password_hash=hash_password(PASSWORD),
        max_clicks=1,
        expired_url="https://example.com/over",
        targets=(Target("https://apps.apple.com/app", os="ios"),),
    )
    link = edge.link("https://example.com/landing", rules=rules)
    url = f"{edge.url}/{link.code}"
    for _ in range(3):  # the form, however often, is no click
        assert httpx.get(url, headers={"User-Agent": IPHONE}).status_code == 200
    assert edge.call(edge.store.click_counts.used(link.id)) == 0
    passed = httpx.post(url, data={"password": PASSWORD}, headers={"User-Agent": IPHONE})
    assert passed.status_code == 303
    assert passed.headers["location"] == "https://apps.apple.com/app"
    assert len(edge.events()) == 1
    # The one click is spent: the next visitor who passes is sent where a used-up link goes.
    late = httpx.post(url, data={"password": PASSWORD}, headers={"User-Agent": CHROME})
    assert late.status_code == 302 and late.headers["location"] == "https://example.com/over"
    # And from then on no password page is shown for it.
    page = httpx.get(url, headers={"User-Agent": CHROME})
    assert page.status_code == 302 and page.headers["location"] == "https://example.com/over"
    assert len(edge.events()) == 1
