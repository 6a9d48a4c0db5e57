"""Tags over real HTTP: set on create, bulk create and edit, shown on the link, filtered by
(``GET /api/v1/links?tag=``, with the other filters and the cursor), counted
(``GET /api/v1/tags``), and refused with a clear code when malformed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.bodies.links import MAX_TAG, MAX_TAGS
from tests.api.conftest import ApiServer, create, error_of


def _ids(client: httpx.Client, **params: Any) -> list[str]:
    """Every link id the list gives for ``params``, page by page."""
    found: list[str] = []
    cursor = None
    while True:
        body = client.get("/api/v1/links", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        found += [item["id"] for item in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            return found


def test_a_link_has_no_tags_until_given_some(a: httpx.Client) -> None:
    link = create(a)
    assert link["tags"] == [] and a.get(f"/api/v1/links/{link['id']}").json()["tags"] == []


def test_tags_are_trimmed_and_a_repeat_in_another_case_is_dropped(a: httpx.Client) -> None:
    link = create(a, tags=["  Spring Sale ", "spring sale", "ÉTÉ", "été", "b2b"])
    assert link["tags"] == ["Spring Sale", "ÉTÉ", "b2b"]
    assert a.get(f"/api/v1/links/{link['id']}").json()["tags"] == ["Spring Sale", "ÉTÉ", "b2b"]


def test_an_edit_replaces_the_tags_and_an_empty_list_clears_them(a: httpx.Client) -> None:
    link = create(a, tags=["one", "two"])
    changed = a.patch(f"/api/v1/links/{link['id']}", json={"tags": ["three"]}).json()
    assert changed["tags"] == ["three"]
    assert _ids(a, tag="one") == [] and _ids(a, tag="three") == [link["id"]]
    untouched = a.patch(f"/api/v1/links/{link['id']}", json={"title": "t"}).json()
    assert untouched["tags"] == ["three"]
    cleared = a.patch(f"/api/v1/links/{link['id']}", json={"tags": []}).json()
    assert cleared["tags"] == [] and _ids(a, tag="three") == []


def test_the_filter_matches_any_case_newest_first_across_pages(a: httpx.Client) -> None:
    tagged = [create(a, tags=["Launch"], title=f"n{i}")["id"] for i in range(7)]
    create(a, tags=["other"])
    create(a)
    assert _ids(a, tag="launch", limit=3) == list(reversed(tagged))
    assert _ids(a, tag="  LAUNCH ") == list(reversed(tagged))
    assert _ids(a, tag="") == _ids(a)  # an empty parameter is no filter


def test_the_filter_combines_with_search_campaign_and_status(api: ApiServer, a: httpx.Client) -> None:
    spring = create(a, tags=["q2"], campaign="spring", title="Alpha")
    create(a, tags=["q2"], campaign="summer", title="Alpha")
    beta = create(a, tags=["q2"], campaign="spring", title="Beta")
    past = datetime.now(UTC) - timedelta(days=1)
    expired = api.insert(api.a, tags=("q2",), campaign="spring", title="Alpha", expires_at=past)
    assert _ids(a, tag="q2", campaign="spring") == [expired.id, beta["id"], spring["id"]]
    assert _ids(a, tag="q2", campaign="spring", search="alpha") == [expired.id, spring["id"]]
    assert _ids(a, tag="q2", campaign="spring", status="active", search="alpha") == [spring["id"]]
    assert _ids(a, tag="Q2", status="expired") == [expired.id]


def test_deleted_links_drop_out_of_the_filter_and_the_counts(a: httpx.Client) -> None:
    keep, gone = create(a, tags=["x"]), create(a, tags=["x", "y"])
    assert a.delete(f"/api/v1/links/{gone['id']}").status_code == 204
    assert _ids(a, tag="x") == [keep["id"]]
    assert a.get("/api/v1/tags").json() == {"items": [{"tag": "x", "links": 1}]}


def test_the_tag_list_counts_live_links_per_tag_whatever_its_case(a: httpx.Client, b: httpx.Client) -> None:
    create(a, tags=["Promo", "b"])
    create(a, tags=["promo"])
    create(a, tags=["a"])
    create(b, tags=["promo", "secret"])  # another tenant's
    assert a.get("/api/v1/tags").json() == {
        "items": [{"tag": "a", "links": 1}, {"tag": "b", "links": 1}, {"tag": "Promo", "links": 2}]
    }


def test_another_tenant_s_tags_filter_nothing(a: httpx.Client, b: httpx.Client) -> None:
    create(b, tags=["shared"])
    assert _ids(a, tag="shared") == []


def test_bulk_create_takes_tags_per_item(a: httpx.Client) -> None:
    body = {
        "items": [
            {"destination_url": "https://example.com/1", "tags": ["bulk", "one"]},
            {
                "destination_url": "https://example.com/2",
                "tags": ["x"] * 1 + [f"t{i}" for i in range(MAX_TAGS)],
            },
            {"destination_url": "https://example.com/3", "tags": ["BULK"]},
        ]
    }
    result = a.post("/api/v1/links/bulk", json=body).json()
    assert [item["status"] for item in result["items"]] == [201, 422, 201]
    assert result["items"][1]["error"]["code"] == "too_many_tags"
    made = [item["link"]["id"] for item in result["items"] if item["status"] == 201]
    assert _ids(a, tag="bulk") == list(reversed(made))


@pytest.mark.parametrize(
    ("tags", "code", "field"),
    [
        ([f"t{i}" for i in range(MAX_TAGS + 1)], "too_many_tags", "tags"),
        (["x" * (MAX_TAG + 1)], "too_long", "tags[0]"),
        (["ok", "   "], "blank", "tags[1]"),
        (["ok", ""], "blank", "tags[1]"),
        (["line\nbreak"], "control_characters", "tags[0]"),
        (["tab\there"], "control_characters", "tags[0]"),
        ("not-a-list", "invalid_type", "tags"),
        ([1], "invalid_type", "tags[0]"),
    ],
)
def test_malformed_tags_are_422_on_create_and_edit(a: httpx.Client, tags: Any, code: str, field: str) -> None:
    body = {"destination_url": "https://example.com/", "tags": tags}
    assert error_of(a.post("/api/v1/links", json=body)) == (422, code, field)
    link = create(a, tags=["kept"])
    assert error_of(a.patch(f"/api/v1/links/{link['id']}", json={"tags": tags})) == (422, code, field)
    assert a.get(f"/api/v1/links/{link['id']}").json()["tags"] == ["kept"]


def test_exactly_the_most_tags_of_the_longest_length_are_fine(a: httpx.Client) -> None:
    tags = [f"{i:02d}" + "x" * (MAX_TAG - 2) for i in range(MAX_TAGS)]
    assert create(a, tags=tags)["tags"] == tags


@pytest.mark.parametrize("tag", ["x" * (MAX_TAG + 1), "a\x00b", "new\nline"])
def test_a_malformed_tag_filter_is_400(a: httpx.Client, tag: str) -> None:
    assert error_of(a.get("/api/v1/links", params={"tag": tag})) == (400, "invalid_tag", "tag")
