"""Publishable API keys: made to sit in a web page, shown once, listed with their kind,
revocable, and refused (403 ``key_not_allowed``) everywhere but the conversion beacon."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiServer, create, error_of, served_routes
from tests.support.keys import KEYS, behind_auth, call_with, new_key

# Every route behind the API's authentication (the conversion beacon checks its key itself).
SECRET_ONLY = behind_auth(served_routes())


@pytest.fixture
def publishable(a: httpx.Client) -> dict[str, Any]:
    return new_key(a, name="shop site", kind="publishable")


def test_a_publishable_key_is_shown_once_and_listed_with_its_kind(
    a: httpx.Client, publishable: dict[str, Any]
) -> None:
    assert re.fullmatch(r"slp_[A-Za-z0-9]{43}", publishable["key"])
    assert publishable["key"].startswith(publishable["prefix"]) and publishable["kind"] == "publishable"
    listed = {key["id"]: key for key in a.get(KEYS).json()["items"]}
    assert {key["kind"] for key in listed.values()} == {"secret", "publishable"}
    assert listed[publishable["id"]] == {k: v for k, v in publishable.items() if k != "key"}
    secret = a.post(KEYS, json={"name": "explicitly secret", "kind": "secret"}).json()
    assert secret["kind"] == "secret" and re.fullmatch(r"sl_[A-Za-z0-9]{43}", secret["key"])


@pytest.mark.parametrize(
    ("kind", "code"),
    [("public", "invalid_key_kind"), ("", "invalid_key_kind"), (None, "invalid_type"), (1, "invalid_type")],
)
def test_the_kind_is_secret_or_publishable(a: httpx.Client, kind: Any, code: str) -> None:
    assert error_of(a.post(KEYS, json={"name": "k", "kind": kind})) == (422, code, "kind")
    assert len(a.get(KEYS).json()["items"]) == 1


@pytest.mark.parametrize(("method", "path"), SECRET_ONLY)
def test_a_publishable_key_opens_nothing_else(
    api: ApiServer, publishable: dict[str, Any], method: str, path: str
) -> None:
    response = call_with(api.url, publishable["key"], method, path)
    assert error_of(response) == (403, "key_not_allowed", None)


def test_nothing_is_read_or_changed_with_it(
    api: ApiServer, a: httpx.Client, publishable: dict[str, Any]
) -> None:
    link = create(a)
    with api.client(publishable["key"]) as page:
        assert error_of(page.get(f"/api/v1/links/{link['id']}"))[:2] == (403, "key_not_allowed")
        assert error_of(page.post(KEYS, json={"name": "escalate"}))[:2] == (403, "key_not_allowed")
        assert error_of(page.delete(f"/api/v1/links/{link['id']}"))[:2] == (403, "key_not_allowed")
    assert a.get(f"/api/v1/links/{link['id']}").status_code == 200
    assert len(a.get(KEYS).json()["items"]) == 2


def test_it_cannot_sign_in_to_the_dashboard(api: ApiServer, publishable: dict[str, Any]) -> None:
    response = httpx.post(api.url + "/dashboard/session", json={"key": publishable["key"]})
    assert error_of(response) == (403, "key_not_allowed", "key")
    assert "set-cookie" not in response.headers


def test_only_secret_keys_count_for_the_last_key_rule(
    api: ApiServer, a: httpx.Client, publishable: dict[str, Any]
) -> None:
    [secret] = [key for key in a.get(KEYS).json()["items"] if key["kind"] == "secret"]
    assert error_of(a.delete(f"{KEYS}/{secret['id']}")) == (409, "last_active_key", "id")
    assert a.delete(f"{KEYS}/{publishable['id']}").status_code == 204
    with api.client(publishable["key"]) as page:  # revoked: unknown now
        assert error_of(page.get("/api/v1/links"))[:2] == (401, "unauthorized")
    listed = {key["id"]: key["revoked_at"] for key in a.get(KEYS).json()["items"]}
    assert listed[publishable["id"]] is not None and listed[secret["id"]] is None
