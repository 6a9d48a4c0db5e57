"""GET /api/v1/links and /api/v1/links/{id}: pages, cursors, search, filters, clicks."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.conftest import ApiServer, create, error_of


def _all_pages(client: httpx.Client, **params: str | int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/links", params=query).json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_get_one_link(a: httpx.Client) -> None:
    link = create(a, title="One")
    response = a.get(f"/api/v1/links/{link['id']}")
    assert response.status_code == 200 and response.json() == link


@pytest.mark.parametrize("link_id", ["0" * 32, "not-an-id", "A" * 32, "x" * 300, "%00", "é"])
def test_unknown_ids_are_404(a: httpx.Client, link_id: str) -> None:
    assert error_of(a.get(f"/api/v1/links/{link_id}")) == (404, "link_not_found", "id")


def test_list_is_newest_first_with_the_link_objects(a: httpx.Client) -> None:
    first, second, third = (create(a, title=f"n{i}") for i in range(3))
    body = a.get("/api/v1/links").json()
    assert body == {"items": [third, second, first], "next_cursor": None}


def test_pages_cover_everything_once_in_order(a: httpx.Client) -> None:
    ids = [create(a)["id"] for _ in range(23)]
    pages = _all_pages(a, limit=5)
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    flat = [link_id for page in pages for link_id in page]
    assert flat == list(reversed(ids))


def test_an_exactly_full_last_page_has_no_cursor(a: httpx.Client) -> None:
    for _ in range(4):
        create(a)
    assert [len(page) for page in _all_pages(a, limit=2)] == [2, 2]


def test_links_created_while_paging_do_not_shift_pages(a: httpx.Client) -> None:
    ids = [create(a)["id"] for _ in range(6)]
    first = a.get("/api/v1/links", params={"limit": 3}).json()
    create(a)  # newer than everything: belongs before page one, not in page two
    second = a.get("/api/v1/links", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in first["items"] + second["items"]] == list(reversed(ids))


def test_default_limit_is_50_and_max_is_200(api: ApiServer, a: httpx.Client) -> None:
    for _ in range(201):
        api.insert(api.a)
    assert len(a.get("/api/v1/links").json()["items"]) == 50
    assert len(a.get("/api/v1/links", params={"limit": 200}).json()["items"]) == 200
    assert len(a.get("/api/v1/links", params={"limit": 1}).json()["items"]) == 1


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", "1.5", " 5", "+5", "5_0", "１０", "99999"])
def test_bad_limits_are_400(a: httpx.Client, limit: str) -> None:
    assert error_of(a.get("/api/v1/links", params={"limit": limit})) == (400, "invalid_limit", "limit")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "abc",
        base64.urlsafe_b64encode(b"not an id").decode(),
        base64.urlsafe_b64encode(b"Z" * 32).decode(),
        "A" * 65,
        "%%%",
        "ZZZZ",
    ],
)
def test_bad_cursors_are_400(a: httpx.Client, cursor: str) -> None:
    assert error_of(a.get("/api/v1/links", params={"cursor": cursor})) == (400, "invalid_cursor", "cursor")


@pytest.mark.parametrize("status", ["deleted", "ACTIVE", "all", "x" * 300])
def test_bad_status_is_400(a: httpx.Client, status: str) -> None:
    assert error_of(a.get("/api/v1/links", params={"status": status})) == (400, "invalid_status", "status")


@pytest.mark.parametrize(("name", "code"), [("search", "invalid_search"), ("campaign", "invalid_campaign")])
@pytest.mark.parametrize("value", ["x" * 201, "a\nb", "\x00"])
def test_bad_filters_are_400(a: httpx.Client, name: str, code: str, value: str) -> None:
    assert error_of(a.get("/api/v1/links", params={name: value})) == (400, code, name)


def test_empty_parameters_mean_any(a: httpx.Client) -> None:
    link = create(a)
    params = {"search": "", "status": "", "campaign": "", "limit": "", "cursor": ""}
    assert [item["id"] for item in a.get("/api/v1/links", params=params).json()["items"]] == [link["id"]]


@pytest.mark.parametrize("query", ["limit=1&limit=2", "limit=1&limit=1", "search=a&status=active&search="])
def test_a_parameter_given_twice_is_400(a: httpx.Client, query: str) -> None:
    # Each takes one value: keeping one of two (the last, as Starlette would) hides a mistake.
    name = query.split("=", 1)[0]
    assert error_of(a.get("/api/v1/links?" + query)) == (400, "repeated_parameter", name)


def test_search_matches_title_or_url_case_insensitively(a: httpx.Client) -> None:
    by_title = create(a, title="Black FRIDAY deals", destination_url="https://shop.example/a")
    by_url = create(a, destination_url="https://example.com/Black-Friday")
    create(a, title="Other", destination_url="https://other.example/")
    found = _all_pages(a, search="friday")[0]
    assert found == [by_url["id"], by_title["id"]]
    assert _all_pages(a, search="SHOP.EXAMPLE")[0] == [by_title["id"]]
    assert _all_pages(a, search="nothing like it")[0] == []


def test_search_folds_non_ascii_case(a: httpx.Client) -> None:
    straße = create(a, title="Große Straße")
    greek = create(a, title="ΣΊΣΥΦΟΣ", destination_url="https://example.com/sisyphus")
    idn = create(a, destination_url="https://bücher.example/Ärger")
    assert _all_pages(a, search="STRASSE")[0] == [straße["id"]]
    assert _all_pages(a, search="σίσυφοσ")[0] == [greek["id"]]
    assert _all_pages(a, search="ärger")[0] == [idn["id"]]
    assert _all_pages(a, search="BÜCHER")[0] == [idn["id"]]


def test_search_does_not_match_across_title_and_url(a: httpx.Client) -> None:
    create(a, title="end", destination_url="https://start.example/")
    assert _all_pages(a, search="endhttps")[0] == []


def test_search_wildcards_are_literal(a: httpx.Client) -> None:
    create(a, title="plain")
    for pattern in ("%", "_", "*", "'"):
        assert _all_pages(a, search=pattern)[0] == []


def test_status_filter(api: ApiServer, a: httpx.Client) -> None:
    past = datetime.now(UTC) - timedelta(days=1)
    expired = api.insert(api.a, expires_at=past)
    active = create(a, expires_at="2999-01-01")
    forever = create(a)
    assert _all_pages(a, status="expired")[0] == [expired.id]
    assert _all_pages(a, status="active")[0] == [forever["id"], active["id"]]
    got = a.get(f"/api/v1/links/{expired.id}").json()
    assert got["status"] == "expired"
    assert set(_all_pages(a)[0]) == {expired.id, active["id"], forever["id"]}


def test_campaign_filter_is_exact(a: httpx.Client) -> None:
    spring = create(a, campaign="spring")
    create(a, campaign="Spring")
    create(a, campaign="spring-2")
    create(a)
    assert _all_pages(a, campaign="spring")[0] == [spring["id"]]


def test_filters_combine_and_paginate(a: httpx.Client) -> None:
    wanted = [create(a, campaign="c1", title=f"promo {i}")["id"] for i in range(7)]
    for i in range(5):
        create(a, campaign="c2", title=f"promo {i}")
        create(a, campaign="c1", title=f"other {i}")
    pages = _all_pages(a, campaign="c1", search="PROMO", status="active", limit=3)
    assert [link_id for page in pages for link_id in page] == list(reversed(wanted))


def test_clicks_come_from_the_counter(api: ApiServer, a: httpx.Client) -> None:
    counted, uncounted = create(a), create(a)
    api.clicks.counts[counted["id"]] = 1234
    assert a.get(f"/api/v1/links/{counted['id']}").json()["clicks"] == 1234
    items = {item["id"]: item["clicks"] for item in a.get("/api/v1/links").json()["items"]}
    assert items == {counted["id"]: 1234, uncounted["id"]: 0}


def test_trailing_slash_is_not_the_same_path(a: httpx.Client) -> None:
    assert error_of(a.get("/api/v1/links/")) == (404, "not_found", None)
