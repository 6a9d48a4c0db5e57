"""API key scopes over real HTTP: a read-only key (and a dashboard session signed in with
one) reads everything its tenant has and changes nothing (403 ``insufficient_scope``, on
every route that changes anything); the scope is chosen on create and listed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.auth import CSRF_HEADER
from tests.api.conftest import ApiServer, create, error_of, served_routes
from tests.api.test_campaigns import AnalyticsApi, analytics_api, generate
from tests.support.keys import KEYS, behind_auth, call_with, new_key

__all__ = ["analytics_api"]  # the shared module fixture, for the analytics test

# Every route behind the API's authentication that changes something.
CHANGES = behind_auth(served_routes(), changes_only=True)


@pytest.fixture
def reader_key(a: httpx.Client) -> dict[str, Any]:
    return new_key(a, name="reports", scope="read_only")


@pytest.fixture
def reader(api: ApiServer, reader_key: dict[str, Any]) -> Iterator[httpx.Client]:
    with api.client(reader_key["key"]) as client:
        yield client


def test_the_scope_is_chosen_on_create_and_listed(a: httpx.Client, reader_key: dict[str, Any]) -> None:
    assert reader_key["scope"] == "read_only" and reader_key["kind"] == "secret"
    full = a.post(KEYS, json={"name": "server"}).json()
    assert full["scope"] == "full"
    listed = {key["id"]: key["scope"] for key in a.get(KEYS).json()["items"]}
    assert listed[reader_key["id"]] == "read_only" and listed[full["id"]] == "full"
    assert set(listed.values()) == {"full", "read_only"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"scope": "read"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"scope": None}, "invalid_type"),
        ({"scope": "read_only", "kind": "publishable"}, "invalid_scope"),
    ],
)
def test_a_bad_scope_is_refused(a: httpx.Client, body: dict[str, Any], code: str) -> None:
    assert error_of(a.post(KEYS, json={"name": "k", **body})) == (422, code, "scope")
    assert len(a.get(KEYS).json()["items"]) == 1


def test_a_read_only_key_reads(a: httpx.Client, reader: httpx.Client) -> None:
    link = create(a, title="Spring sale")
    assert reader.get("/api/v1/links").json()["items"] == [link]
    assert reader.get(f"/api/v1/links/{link['id']}").json() == link
    assert reader.head(f"/api/v1/links/{link['id']}").status_code == 200
    assert reader.get("/api/v1/settings").status_code == 200
    assert len(reader.get(KEYS).json()["items"]) == 2


def test_a_read_only_key_changes_nothing(a: httpx.Client, reader: httpx.Client) -> None:
    link = create(a)
    path = f"/api/v1/links/{link['id']}"
    for response in (
        reader.post("/api/v1/links", json={"destination_url": "https://example.com/"}),
        reader.patch(path, json={"title": "changed"}),
        reader.delete(path),
        reader.post(KEYS, json={"name": "escalate"}),
        reader.delete(f"{KEYS}/{a.get(KEYS).json()['items'][0]['id']}"),
        reader.patch("/api/v1/settings", json={"collect_metadata": False}),
    ):
        assert error_of(response) == (403, "insufficient_scope", None)
        assert "read-only" in response.json()["error"]["message"]
    assert a.get(path).json() == link
    assert len(a.get("/api/v1/links").json()["items"]) == 1
    assert len(a.get(KEYS).json()["items"]) == 2


@pytest.mark.parametrize(("method", "path"), CHANGES)
def test_every_change_is_refused_to_a_read_only_key(
    api: ApiServer, reader_key: dict[str, Any], method: str, path: str
) -> None:
    response = call_with(api.url, reader_key["key"], method, path)
    assert error_of(response) == (403, "insufficient_scope", None)


def test_a_read_only_key_does_not_count_as_the_last_key(a: httpx.Client, reader_key: dict[str, Any]) -> None:
    keys = a.get(KEYS).json()["items"]
    [full] = [key for key in keys if key["scope"] == "full"]
    assert error_of(a.delete(f"{KEYS}/{full['id']}")) == (409, "last_active_key", "id")
    assert a.delete(f"{KEYS}/{reader_key['id']}").status_code == 204


def test_a_dashboard_session_of_a_read_only_key_looks_but_does_not_change(
    api: ApiServer, a: httpx.Client, reader_key: dict[str, Any]
) -> None:
    link = create(a)
    host = api.url.removeprefix("http://")
    with httpx.Client(base_url=api.url, headers={"Origin": f"http://{host}"}, timeout=10) as page:
        signed = page.post("/dashboard/session", json={"key": reader_key["key"]})
        assert signed.status_code == 200, signed.text
        assert signed.json()["scope"] == "read_only"
        assert page.get("/dashboard/session").json()["scope"] == "read_only"
        csrf = {CSRF_HEADER: signed.json()["csrf_token"]}
        assert page.get(f"/api/v1/links/{link['id']}").json() == link
        refused = page.patch(f"/api/v1/links/{link['id']}", json={"title": "x"}, headers=csrf)
        assert error_of(refused) == (403, "insufficient_scope", None)
        assert "Sign in with a key with the full scope" in refused.json()["error"]["message"]
        assert page.delete("/dashboard/session").status_code == 204  # signing out still works
    with httpx.Client(base_url=api.url, headers={"Origin": f"http://{host}"}, timeout=10) as page:
        full = page.post("/dashboard/session", json={"key": api.a.key}).json()
        assert full["scope"] == "full"
        changed = page.patch(
            f"/api/v1/links/{link['id']}", json={"title": "x"}, headers={CSRF_HEADER: full["csrf_token"]}
        )
        assert changed.status_code == 200, changed.text


@pytest.mark.clickhouse
def test_a_read_only_key_reads_analytics(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("scopes")
    with analytics_api.client(account) as owner:
        link = create(owner)
        reader_key = owner.post(KEYS, json={"name": "reports", "scope": "read_only"}).json()["key"]
    analytics_api.write(generate(account.id, [link], 50, seed=3))
    headers = {"Authorization": f"Bearer {reader_key}"}
    with httpx.Client(base_url=analytics_api.url, headers=headers, timeout=30) as reader:
        page = reader.get(
            f"/api/v1/links/{link['id']}/analytics", params={"from": "2025-03-01", "to": "2025-03-30"}
        )
        assert page.status_code == 200, page.text
        assert page.json()["totals"]["total"] > 0
