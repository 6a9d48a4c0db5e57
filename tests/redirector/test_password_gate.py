"""Links with a password over real HTTP: the page, the form's POST, the cookie that
remembers a right password, the guess limit, and the bodies the form cannot have sent.

Only a password link is needed here; a password link that also has targets is tested
where the edge's rules are combined."""

from __future__ import annotations

import ipaddress
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from redirector.app import redirector_metrics
from redirector.guess_limit import GuessLimiter
from redirector.password_gate import COOKIE_NAME, PasswordGate
from schemas.events import LinkChange
from smartlinks.eventlog.segments import segment_numbers, segment_path
from smartlinks.models import LinkPatch
from smartlinks.passwords import hash_password
from smartlinks.rules import LinkRules
from smartlinks.visitor import COOKIE_NAME as VISITOR_COOKIE
from tests.redirector.conftest import Edge, make_edge

PASSWORD = "open sesame"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def password_link(edge: Edge, password: str = PASSWORD, **fields: Any) -> Any:
    return edge.link(rules=LinkRules(password_hash=hash_password(password)), **fields)


def guess(edge: Edge, path: str, password: str, **headers: str) -> httpx.Response:
    return httpx.post(
        edge.url + path, data={"password": password}, headers=headers, follow_redirects=False, timeout=30
    )


def get(edge: Edge, path: str, **headers: str) -> httpx.Response:
    return httpx.get(edge.url + path, headers=headers, follow_redirects=False)


def gate_cookie(response: httpx.Response) -> str:
    """The value of the password cookie a response sets."""
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE_NAME + "=")]
    return SimpleCookie(header)[COOKIE_NAME].value


def gate_of(edge: Edge) -> PasswordGate:
    return edge.redirector.password_gate


def log_bytes(edge: Edge) -> bytes:
    folder = edge.click_log.folder
    return b"".join(segment_path(folder, n).read_bytes() for n in segment_numbers(folder))


def test_the_page_is_shown_to_get_and_head_and_records_nothing(edge: Edge) -> None:
    link = password_link(edge)
    page = get(edge, f"/{link.code}")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "form-action" not in policy  # Chromium would block the redirect after the POST
    html = page.text
    assert "Password required" in html and '<meta name="robots" content="noindex">' in html
    assert '<form method="post">' in html and 'type="password" name="password"' in html
    assert "http" not in html.split("</title>", 1)[1]  # nothing loaded from anywhere
    assert "set-cookie" not in page.headers  # no visitor cookie either: nobody went anywhere
    head = httpx.head(f"{edge.url}/{link.code}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == page.headers["content-length"]
    assert edge.events() == []
    assert gate_of(edge).stats.pages == 2


def test_the_right_password_redirects_with_303_records_one_click_and_is_remembered(edge: Edge) -> None:
    link = password_link(edge, destination="https://example.com/landing?x=1", campaign="spring")
    response = guess(edge, f"/{link.code}?utm_source=wa", PASSWORD, **{"User-Agent": "UA/1"})
    # 303 whatever the configured status: the browser then GETs the destination.
    assert response.status_code == 303
    assert response.headers["location"] == "https://example.com/landing?x=1&utm_source=wa"
    assert response.headers["cache-control"] == "no-store"
    [click] = edge.events()
    assert (click.link_id, click.code, click.campaign, click.method) == (link.id, link.code, "spring", "GET")
    assert click.user_agent == "UA/1"
    assert PASSWORD.encode() not in log_bytes(edge)
    cookies = response.headers.get_list("set-cookie")
    [remember] = [c for c in cookies if c.startswith(COOKIE_NAME + "=")]
    attributes = {part.strip() for part in remember.split(";")[1:]}
    assert attributes == {"Max-Age=86400", f"Path=/{link.code}", "HttpOnly", "SameSite=Lax"}
    # The visitor cookie comes as with any first click, and names the click's visitor.
    assert any(c.startswith(f"{VISITOR_COOKIE}={click.visitor_id};") for c in cookies)

    # The next visit with the cookie goes straight through, and is a click of its own.
    again = get(
        edge,
        f"/{link.code}",
        Cookie=f"{VISITOR_COOKIE}={click.visitor_id}; {COOKIE_NAME}={gate_cookie(response)}",
    )
    assert again.status_code == 302
    assert again.headers["location"] == "https://example.com/landing?x=1"
    assert "set-cookie" not in again.headers
    assert len(edge.events()) == 2 and edge.events()[1].visitor_id == click.visitor_id
    stats = gate_of(edge).stats
    assert (stats.right, stats.admitted, stats.wrong, stats.pages) == (1, 1, 0, 0)


def test_the_post_is_303_even_when_redirects_are_307(tmp_path: Path) -> None:
    # A 307 or 308 would have the browser post the password again, to the destination.
    for edge in make_edge(tmp_path, redirect_status=307):
        link = password_link(edge)
        response = guess(edge, f"/{link.code}", PASSWORD)
        assert response.status_code == 303
        assert get(edge, f"/{link.code}", Cookie=f"{COOKIE_NAME}={gate_cookie(response)}").status_code == 307


def test_the_cookie_is_secure_when_short_links_are_https(tmp_path: Path) -> None:
    for edge in make_edge(tmp_path, public_url="https://sl.example"):
        link = password_link(edge)
        remember = [
            c
            for c in guess(edge, f"/{link.code}", PASSWORD).headers.get_list("set-cookie")
            if c.startswith("slp=")
        ]
        assert remember[0].endswith("; Secure")


def test_the_cookie_admits_to_its_own_link_only(edge: Edge) -> None:
    first, second = password_link(edge), password_link(edge)
    cookie = gate_cookie(guess(edge, f"/{first.code}", PASSWORD))
    assert get(edge, f"/{second.code}", Cookie=f"{COOKIE_NAME}={cookie}").status_code == 200
    assert get(edge, f"/{first.code}", Cookie=f"a=1; {COOKIE_NAME}={cookie}; b=2").status_code == 302
    assert len(edge.events()) == 2  # the right guess and the admitted visit


def test_forged_and_expired_cookies_show_the_page(edge: Edge) -> None:
    link = password_link(edge)
    cookie = gate_cookie(guess(edge, f"/{link.code}", PASSWORD))
    expires, _, mac = cookie.partition(".")
    forged = [
        f"{int(expires) + 3600}.{mac}",  # a longer life under the old signature
        f"{expires}.{mac[:-2]}AA",
        f"{expires}.",
        "9999999999999.x",
        "not-a-cookie",
        "",
    ]
    for value in forged:
        assert get(edge, f"/{link.code}", Cookie=f"{COOKIE_NAME}={value}").status_code == 200, value
    # Digits that are not ASCII ones (the header is read as Latin-1) are no expiry either.
    odd = httpx.get(f"{edge.url}/{link.code}", headers={"Cookie": COOKIE_NAME.encode() + b"=\xb2\xb3.x"})
    assert odd.status_code == 200
    # A day later the genuine cookie has expired too (the browser would have dropped it).
    gate_of(edge).clock = lambda: time.time() + 86_401
    assert get(edge, f"/{link.code}", Cookie=f"{COOKIE_NAME}={cookie}").status_code == 200
    assert len(edge.events()) == 1


def test_a_new_password_turns_the_old_cookies_away(edge: Edge) -> None:
    link = password_link(edge)
    cookie = gate_cookie(guess(edge, f"/{link.code}", PASSWORD))
    assert get(edge, f"/{link.code}", Cookie=f"{COOKIE_NAME}={cookie}").status_code == 302
    edge.call(
        edge.store.update_link(edge.tenant_id, link.id, LinkPatch(password_hash=hash_password("new one")))
    )
    edge.call(edge.changes.publish([LinkChange("updated", edge.tenant_id, link.id, link.code, 0)]))
    assert get(edge, f"/{link.code}", Cookie=f"{COOKIE_NAME}={cookie}").status_code == 200
    assert guess(edge, f"/{link.code}", PASSWORD).status_code == 403
    assert guess(edge, f"/{link.code}", "new one").status_code == 303
    # Without a password the link is plain again: no page, and the form's POST is refused.
    edge.call(edge.store.update_link(edge.tenant_id, link.id, LinkPatch(password_hash=None)))
    edge.call(edge.changes.publish([LinkChange("updated", edge.tenant_id, link.id, link.code, 0)]))
    assert get(edge, f"/{link.code}").status_code == 302
    assert guess(edge, f"/{link.code}", "new one").status_code == 405


def test_a_wrong_password_shows_the_page_again_and_records_nothing(edge: Edge) -> None:
    link = password_link(edge)
    for wrong in ("open sesame ", "", "x" * 200, "ünïcödé"):
        response = guess(edge, f"/{link.code}", wrong)
        assert response.status_code == 403
        assert "That password is not right" in response.text and '<form method="post">' in response.text
        assert "set-cookie" not in response.headers
        assert wrong not in response.text or not wrong
    assert edge.events() == []
    assert gate_of(edge).stats.wrong == 4


def test_guesses_are_limited_per_link_and_client_then_allowed_again(edge: Edge) -> None:
    gate_of(edge).limiter = GuessLimiter(limit=2, window_s=1.0)
    link, other = password_link(edge), password_link(edge)
    assert guess(edge, f"/{link.code}", "no").status_code == 403
    assert guess(edge, f"/{link.code}", PASSWORD).status_code == 303  # a right guess is not counted
    assert guess(edge, f"/{link.code}", "nope").status_code == 403
    limited = guess(edge, f"/{link.code}", PASSWORD)  # even the right one waits now
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert "Too many wrong passwords. Try again in 1 minute." in limited.text
    assert guess(edge, f"/{other.code}", PASSWORD).status_code == 303  # another link is its own count
    time.sleep(1.1)
    assert guess(edge, f"/{link.code}", PASSWORD).status_code == 303
    assert len(edge.events()) == 3
    stats = gate_of(edge).stats
    assert (stats.right, stats.wrong, stats.limited) == (3, 2, 1)


def test_guesses_sent_at_once_cannot_pass_the_limit(edge: Edge) -> None:
    link = password_link(edge)
    with ThreadPoolExecutor(12) as pool:
        statuses = sorted(
            pool.map(lambda n: guess(edge, f"/{link.code}", f"guess {n}").status_code, range(12))
        )
    assert statuses == [403] * 5 + [429] * 7


def test_clients_behind_a_trusted_proxy_are_limited_each_on_its_own(tmp_path: Path) -> None:
    for edge in make_edge(tmp_path, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),)):
        gate_of(edge).limiter = GuessLimiter(limit=1, window_s=60)
        link = password_link(edge)
        assert guess(edge, f"/{link.code}", "no", **{"X-Forwarded-For": "8.8.8.8"}).status_code == 403
        assert guess(edge, f"/{link.code}", "no", **{"X-Forwarded-For": "8.8.8.8"}).status_code == 429
        assert guess(edge, f"/{link.code}", PASSWORD, **{"X-Forwarded-For": "9.9.9.9"}).status_code == 303
        assert edge.events()[-1].ip == "9.9.9.9"


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Content-Type": "application/json"}, b'{"password": "open sesame"}', 415),
        ({}, b"password=open+sesame", 415),
        ({"Content-Type": "multipart/form-data; boundary=x"}, b"--x--", 415),
        (FORM, b"password=" + b"a" * 5000, 413),
        (FORM, b"", 400),
        (FORM, b"pass=open+sesame", 400),
        (FORM, b"password=a&password=b", 400),
        (FORM, b"password=%FF%FE", 400),
        (FORM, "password=sésame".encode(), 400),
        (FORM, b"&".join(b"f%d=1" % n for n in range(20)), 400),
    ],
)
def test_bodies_the_form_cannot_send_are_4xx_pages(
    edge: Edge, headers: dict[str, str], body: bytes, status: int
) -> None:
    link = password_link(edge)
    response = httpx.post(f"{edge.url}/{link.code}", content=body, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert edge.events() == []
    assert gate_of(edge).stats.refused == 1


def test_a_body_sent_in_chunks_is_cut_off_past_the_limit(edge: Edge) -> None:
    link = password_link(edge)

    def chunks() -> Any:
        yield b"password="
        for _ in range(10):
            yield b"a" * 1000

    response = httpx.post(f"{edge.url}/{link.code}", content=chunks(), headers=FORM)
    assert response.status_code == 413
    assert response.request.headers.get("transfer-encoding") == "chunked"


def test_the_form_posts_to_unknown_plain_and_expired_links_are_refused(edge: Edge) -> None:
    assert guess(edge, "/Nope1234", PASSWORD).status_code == 404
    plain = edge.link()
    refused = guess(edge, f"/{plain.code}", PASSWORD)
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    from datetime import timedelta

    from smartlinks.models import utcnow

    expiring = password_link(edge, expires_at=utcnow() + timedelta(milliseconds=200))
    time.sleep(0.25)
    assert guess(edge, f"/{expiring.code}", PASSWORD).status_code == 410
    assert get(edge, f"/{expiring.code}").status_code == 410  # expiry decides before the password
    assert edge.events() == []


def test_metrics_count_the_gate_without_the_password(edge: Edge) -> None:
    link = password_link(edge)
    get(edge, f"/{link.code}")
    guess(edge, f"/{link.code}", "hunter2")
    cookie = gate_cookie(guess(edge, f"/{link.code}", PASSWORD))
    get(edge, f"/{link.code}", Cookie=f"{COOKIE_NAME}={cookie}")
    registry = CollectorRegistry()
    registry.register(redirector_metrics(edge.redirector))
    text = generate_latest(registry).decode()
    for outcome, count in {
        "page": 1,
        "wrong": 1,
        "right": 1,
        "admitted": 1,
        "limited": 0,
        "refused": 0,
    }.items():
        assert f'smartlinks_password_gate_total{{outcome="{outcome}"}} {count}.0' in text
    assert 'smartlinks_redirect_requests_total{outcome="redirect"} 2.0' in text
    assert PASSWORD not in text and "hunter2" not in text
