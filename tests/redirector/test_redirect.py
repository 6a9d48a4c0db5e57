"""The redirect edge over real HTTP: status, headers, events, cache behaviour."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import jsonschema
import orjson
import pytest

from schemas.events import LinkChange
from smartlinks.eventlog.segments import segment_numbers, segment_path
from smartlinks.models import LinkPatch, utcnow
from smartlinks.visitor import COOKIE_NAME, visitor_hash
from tests.redirector.conftest import Edge, make_edge

CLICK_SCHEMA = orjson.loads((Path(__file__).parents[2] / "schemas" / "click_event.v1.json").read_bytes())


def get(edge: Edge, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(edge.url + path, follow_redirects=False, **kwargs)  # type: ignore[arg-type]


def test_redirects_with_302_and_records_one_click(edge: Edge) -> None:
    link = edge.link("https://example.com/landing?x=1", campaign="spring", contact_id="c-42")
    response = get(
        edge,
        f"/{link.code}",
        headers={"User-Agent": "UA/1", "Referer": "https://wa.me/", "Accept-Language": "pt-BR"},
    )
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/landing?x=1"
    assert response.headers["cache-control"] == "no-store"
    assert response.content == b""
    assert len(edge.events()) == 1
    event = edge.events()[0]
    assert (event.link_id, event.tenant_id, event.code) == (link.id, edge.tenant_id, link.code)
    assert (event.campaign, event.contact_id, event.method) == ("spring", "c-42", "GET")
    assert (event.user_agent, event.referer, event.accept_language) == ("UA/1", "https://wa.me/", "pt-BR")
    assert event.ip == "127.0.0.1"
    assert event.visitor_cookie is None
    assert event.collect_metadata is True
    assert len(event.event_id) == 32
    # What goes into the edge log is exactly the documented contract.
    line = segment_path(edge.click_log.folder, segment_numbers(edge.click_log.folder)[0]).read_bytes()
    jsonschema.validate(orjson.loads(line), CLICK_SCHEMA)


def test_sets_a_visitor_cookie_that_matches_the_fallback_hash(edge: Edge) -> None:
    link = edge.link()
    response = get(edge, f"/{link.code}", headers={"User-Agent": "UA/1"})
    cookie = response.headers["set-cookie"]
    expected = visitor_hash(b"k" * 32, "127.0.0.1", "UA/1")
    assert cookie.startswith(f"{COOKIE_NAME}={expected};")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=63072000" in cookie
    # A browser that sends it back gets no new cookie, and the event carries it.
    again = get(edge, f"/{link.code}", headers={"Cookie": f"other=1; {COOKIE_NAME}={expected}"})
    assert "set-cookie" not in again.headers
    assert edge.events()[-1].visitor_cookie == expected
    # The visitor is decided here, once: both events carry it, the consumer keeps it.
    assert [event.visitor_id for event in edge.events()[-2:]] == [expected, expected]


def test_a_forged_cookie_is_ignored(edge: Edge) -> None:
    link = edge.link()
    response = get(edge, f"/{link.code}", headers={"Cookie": f"{COOKIE_NAME}=<script>"})
    assert "set-cookie" in response.headers
    assert edge.events()[-1].visitor_cookie is None
    # The event counts the visitor the new cookie names.
    assert f"{COOKIE_NAME}={edge.events()[-1].visitor_id};" in response.headers["set-cookie"]


def test_head_redirects_and_is_recorded_as_head(edge: Edge) -> None:
    link = edge.link()
    response = httpx.head(f"{edge.url}/{link.code}")
    assert response.status_code == 302
    assert edge.events()[-1].method == "HEAD"


def test_other_methods_are_refused_without_a_click(edge: Edge) -> None:
    link = edge.link()
    response = httpx.post(f"{edge.url}/{link.code}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert len(edge.events()) == 0


@pytest.mark.parametrize(
    ("destination", "query", "expected"),
    [
        ("https://e.com/p", "a=1", "https://e.com/p?a=1"),
        ("https://e.com/p?a=1&b=2", "b=3&c=4", "https://e.com/p?a=1&b=3&c=4"),
        ("https://e.com/p?utm_source=x#top", "utm_source=wa", "https://e.com/p?utm_source=wa#top"),
        ("https://e.com/p?q=a%20b", "z=%C3%A9", "https://e.com/p?q=a%20b&z=%C3%A9"),
        ("https://e.com/p?a=1", "a", "https://e.com/p?a"),
    ],
)
def test_query_parameters_are_merged_the_short_urls_win(
    edge: Edge, destination: str, query: str, expected: str
) -> None:
    link = edge.link(destination)
    assert get(edge, f"/{link.code}?{query}").headers["location"] == expected


def test_query_forwarding_can_be_turned_off(tmp_path: Path) -> None:
    for edge in make_edge(tmp_path, forward_query=False):
        link = edge.link("https://e.com/p?a=1")
        assert get(edge, f"/{link.code}?a=2&b=3").headers["location"] == "https://e.com/p?a=1"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_status_is_configurable(tmp_path: Path, status: int) -> None:
    for edge in make_edge(tmp_path, redirect_status=status):
        link = edge.link()
        assert get(edge, f"/{link.code}").status_code == status


def test_idn_destination_is_sent_as_ascii(edge: Edge) -> None:
    link = edge.link("https://bücher.example/straße?q=ü")
    assert (
        get(edge, f"/{link.code}").headers["location"] == "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"
    )


def test_unknown_code_is_404_html_and_unrecorded(edge: Edge) -> None:
    response = get(edge, "/Abcd123")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert b"Link not found" in response.content
    assert len(edge.events()) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/ab",
        "/abcdefghijklm",
        "/ab-cd",
        "/a%20bc",
        "/abcd/efg",
        "/",
        "/api",
        "/healthz",
        "/Dashboard",
        "/%00abcd",
        "/.env",
        "/favicon.ico",
    ],
)
def test_paths_that_cannot_be_codes_never_reach_the_store(edge: Edge, path: str) -> None:
    response = get(edge, path)
    assert response.status_code == 404
    assert edge.store.resolves == 0


def test_a_flood_of_one_unknown_code_reaches_the_store_once(edge: Edge) -> None:
    with httpx.Client(base_url=edge.url) as client:
        for _ in range(200):
            assert client.get("/Nope1234").status_code == 404
    assert edge.store.resolves == 1
    assert edge.cache.stats.negative_hits == 199


def test_known_codes_are_served_from_memory(edge: Edge) -> None:
    link = edge.link()
    with httpx.Client(base_url=edge.url) as client:
        for _ in range(50):
            assert client.get(f"/{link.code}").status_code == 302
    assert edge.store.resolves == 1


def test_codes_are_case_sensitive(edge: Edge) -> None:
    link = edge.link(code="CaseTest")
    assert get(edge, "/CaseTest").status_code == 302
    assert get(edge, "/casetest").status_code == 404
    assert link.code == "CaseTest"


def test_expired_link_is_410(edge: Edge) -> None:
    link = edge.link(expires_at=utcnow() + timedelta(milliseconds=300))
    assert get(edge, f"/{link.code}").status_code == 302
    import time

    time.sleep(0.35)
    response = get(edge, f"/{link.code}")
    assert response.status_code == 410
    assert b"expired" in response.content
    assert len(edge.events()) == 1  # only the redirect was a click


def test_edit_and_delete_take_effect_on_the_next_redirect(edge: Edge) -> None:
    link = edge.link("https://old.example/")
    assert get(edge, f"/{link.code}").headers["location"] == "https://old.example/"
    edge.call(
        edge.store.update_link(edge.tenant_id, link.id, LinkPatch(destination_url="https://new.example/"))
    )
    edge.call(edge.changes.publish([LinkChange("updated", edge.tenant_id, link.id, link.code, 0)]))
    assert get(edge, f"/{link.code}").headers["location"] == "https://new.example/"
    edge.call(edge.store.delete_link(edge.tenant_id, link.id))
    edge.call(edge.changes.publish([LinkChange("deleted", edge.tenant_id, link.id, link.code, 0)]))
    assert get(edge, f"/{link.code}").status_code == 404


def test_a_new_link_replaces_a_cached_unknown_code(edge: Edge) -> None:
    assert get(edge, "/Later123").status_code == 404
    link = edge.link(code="Later123")
    edge.call(edge.changes.publish([LinkChange("created", edge.tenant_id, link.id, link.code, 0)]))
    assert get(edge, "/Later123").status_code == 302


def test_tenant_settings_change_refreshes_collect_metadata(edge: Edge) -> None:
    link = edge.link()
    get(edge, f"/{link.code}")
    edge.call(edge.store.set_collect_metadata(edge.tenant_id, False))
    edge.call(edge.changes.publish([LinkChange("tenant_updated", edge.tenant_id, "", "", 0)]))
    get(edge, f"/{link.code}")
    assert [e.collect_metadata for e in edge.events()] == [True, False]


def test_x_forwarded_for_is_ignored_without_trusted_proxies(edge: Edge) -> None:
    link = edge.link()
    get(edge, f"/{link.code}", headers={"X-Forwarded-For": "8.8.8.8"})
    assert edge.events()[-1].ip == "127.0.0.1"


def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(tmp_path: Path) -> None:
    import ipaddress

    for edge in make_edge(
        tmp_path, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("10.0.0.0/8"))
    ):
        link = edge.link()
        # The client claims 1.2.3.4; our proxy chain appended the real peer 8.8.8.8, then 10.0.0.5.
        get(edge, f"/{link.code}", headers={"X-Forwarded-For": "1.2.3.4, 8.8.8.8, 10.0.0.5"})
        assert edge.events()[-1].ip == "8.8.8.8"
        get(edge, f"/{link.code}", headers={"X-Forwarded-For": "garbage"})
        assert edge.events()[-1].ip == "127.0.0.1"


def test_oversized_headers_are_capped_in_the_event(edge: Edge) -> None:
    link = edge.link()
    response = get(
        edge, f"/{link.code}", headers={"User-Agent": "U" * 10_000, "Referer": "https://r/" + "x" * 5000}
    )
    assert response.status_code == 302
    event = edge.events()[-1]
    assert event.user_agent == "U" * 1024
    assert len(event.referer) == 2048
