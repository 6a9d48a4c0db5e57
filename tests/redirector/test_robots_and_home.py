"""What the redirector answers besides short codes: robots.txt, ``/``, and the noindex header."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from smartlinks.models import LinkRules, utcnow
from tests.redirector.conftest import Edge, make_edge


def get(edge: Edge, path: str) -> httpx.Response:
    return httpx.get(edge.url + path, follow_redirects=False)


def test_robots_txt_closes_every_path_to_crawlers(edge: Edge) -> None:
    response = get(edge, "/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "User-agent: *\nDisallow: /\n"
    assert edge.store.resolves == 0


def test_every_redirect_says_noindex(edge: Edge) -> None:
    link = edge.link()
    assert get(edge, f"/{link.code}").headers["x-robots-tag"] == "noindex"
    assert httpx.head(edge.url + f"/{link.code}").headers["x-robots-tag"] == "noindex"


def test_an_expired_link_sent_to_its_expired_url_says_noindex(edge: Edge) -> None:
    past = utcnow() - timedelta(minutes=1)
    link = edge.link(expires_at=past, rules=LinkRules(expired_url="https://example.com/over"))
    response = get(edge, f"/{link.code}")
    assert (response.status_code, response.headers["location"]) == (302, "https://example.com/over")
    assert response.headers["x-robots-tag"] == "noindex"


def test_a_trailing_slash_redirects_like_the_code(edge: Edge) -> None:
    link = edge.link("https://example.com/landing")
    response = get(edge, f"/{link.code}/")
    assert (response.status_code, response.headers["location"]) == (302, "https://example.com/landing")
    assert [event.code for event in edge.events()] == [link.code]


@pytest.mark.parametrize("path", ["/abcd//", "/ab/", "/api/", "/Dashboard/", "/abcd/efg/"])
def test_one_trailing_slash_only_and_never_a_reserved_word(edge: Edge, path: str) -> None:
    assert get(edge, path).status_code == 404
    assert edge.store.resolves == 0


def test_home_is_a_404_on_a_redirector_alone(edge: Edge) -> None:
    assert get(edge, "/").status_code == 404


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Edge]:
    yield from make_edge(tmp_path, dashboard=True)


def test_home_leads_to_the_dashboard_in_the_embedded_process(embedded: Edge) -> None:
    response = get(embedded, "/")
    assert (response.status_code, response.headers["location"]) == (302, "/dashboard")


@pytest.mark.parametrize("dashboard", [False, True])
def test_home_url_wins_when_configured(tmp_path: Path, dashboard: bool) -> None:
    for edge in make_edge(tmp_path, dashboard=dashboard, home_url="https://www.example.com/"):
        response = get(edge, "/")
        assert (response.status_code, response.headers["location"]) == (302, "https://www.example.com/")
        assert edge.store.resolves == 0
