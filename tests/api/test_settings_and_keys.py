"""GET/PATCH /api/v1/settings and the API key endpoints."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiServer, error_of

DEFAULTS = {
    "collect_metadata": True,
    "conversion_tracking": False,
    "click_id_param": "sl_click",
    "attribution_window_days": 30,
    "bot_user_agents": [],
    "bot_ip_ranges": [],
}


def test_collect_metadata_defaults_to_true_and_can_be_switched(api: ApiServer, a: httpx.Client) -> None:
    assert a.get("/api/v1/settings").json() == DEFAULTS
    response = a.patch("/api/v1/settings", json={"collect_metadata": False})
    assert response.status_code == 200 and response.json() == {**DEFAULTS, "collect_metadata": False}
    assert a.get("/api/v1/settings").json() == {**DEFAULTS, "collect_metadata": False}
    assert [(c.kind, c.tenant_id, c.link_id, c.code) for c in api.changes] == [
        ("tenant_updated", api.a.id, "", "")
    ]


def test_settings_belong_to_one_tenant(a: httpx.Client, b: httpx.Client) -> None:
    a.patch("/api/v1/settings", json={"collect_metadata": False})
    assert b.get("/api/v1/settings").json() == DEFAULTS


def test_the_redirector_sees_the_setting(api: ApiServer, a: httpx.Client) -> None:
    link = api.insert(api.a, code=None)
    a.patch("/api/v1/settings", json={"collect_metadata": False})
    assert api.call(api.store.resolve(link.code)).collect_metadata is False


def test_an_empty_settings_patch_changes_nothing(api: ApiServer, a: httpx.Client) -> None:
    assert a.patch("/api/v1/settings", json={}).json() == DEFAULTS
    assert api.changes == []


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"collect_metadata": "false"}, "invalid_type", "collect_metadata"),
        ({"collect_metadata": 0}, "invalid_type", "collect_metadata"),
        ({"collect_metadata": None}, "invalid_type", "collect_metadata"),
        ({"collect_metadata": True, "retention": 30}, "unknown_field", "retention"),
        ({"bot_user_agents": "UptimeBot"}, "invalid_type", "bot_user_agents"),
        ({"bot_user_agents": [7]}, "invalid_type", "bot_user_agents[0]"),
        ({"bot_user_agents": ["ok", "  "]}, "blank", "bot_user_agents[1]"),
        ({"bot_user_agents": ["a\nb"]}, "control_characters", "bot_user_agents[0]"),
        ({"bot_user_agents": ["x" * 201]}, "too_long", "bot_user_agents[0]"),
        ({"bot_user_agents": ["m"] * 101}, "too_many_bot_rules", "bot_user_agents"),
        ({"bot_ip_ranges": ["10.0.0.0/33"]}, "invalid_bot_ip_range", "bot_ip_ranges[0]"),
        ({"bot_ip_ranges": ["10.0.0.0/8", "example.com"]}, "invalid_bot_ip_range", "bot_ip_ranges[1]"),
        ({"bot_ip_ranges": [" 10.0.0.1"]}, "invalid_bot_ip_range", "bot_ip_ranges[0]"),
        ({"bot_ip_ranges": None}, "invalid_type", "bot_ip_ranges"),
    ],
)
def test_settings_rules(api: ApiServer, a: httpx.Client, body: dict[str, Any], code: str, field: str) -> None:
    assert error_of(a.patch("/api/v1/settings", json=body)) == (422, code, field)
    assert api.changes == []


def test_bot_rules_are_kept_and_announced(api: ApiServer, a: httpx.Client) -> None:
    body = {
        "bot_user_agents": ["AcmeMonitor/", "qa-runner"],
        "bot_ip_ranges": ["203.0.113.7/24", "2001:db8::1"],
    }
    response = a.patch("/api/v1/settings", json=body)
    expected = {
        **DEFAULTS,
        "bot_user_agents": ["AcmeMonitor/", "qa-runner"],
        # Kept as the networks they mean.
        "bot_ip_ranges": ["203.0.113.0/24", "2001:db8::1/128"],
    }
    assert response.status_code == 200 and response.json() == expected
    assert a.get("/api/v1/settings").json() == expected
    assert [c.kind for c in api.changes] == ["tenant_updated"]
    # An empty list removes them.
    assert a.patch("/api/v1/settings", json={"bot_user_agents": []}).json()["bot_user_agents"] == []


def test_keys_are_listed_without_their_secret(api: ApiServer, a: httpx.Client) -> None:
    [key] = a.get("/api/v1/keys").json()["items"]
    assert set(key) == {"id", "name", "prefix", "created_at", "revoked_at", "kind", "scope", "last_used_at"}
    assert key["name"] == "first" and key["revoked_at"] is None and key["kind"] == "secret"
    assert api.a.key.startswith(key["prefix"])


def test_create_shows_the_key_once(a: httpx.Client) -> None:
    response = a.post("/api/v1/keys", json={"name": "CI ✓"})
    assert response.status_code == 201
    created = response.json()
    assert response.headers["location"] == f"/api/v1/keys/{created['id']}"
    assert re.fullmatch(r"sl_[A-Za-z0-9]{43}", created["key"])
    assert created["key"].startswith(created["prefix"]) and created["name"] == "CI ✓"
    listed = a.get("/api/v1/keys").json()["items"]
    assert [k["id"] for k in listed] == [created["id"], listed[1]["id"]]  # newest first
    assert all("key" not in k for k in listed)


def test_keys_of_another_tenant_are_invisible_and_unrevocable(a: httpx.Client, b: httpx.Client) -> None:
    [a_key] = a.get("/api/v1/keys").json()["items"]
    b.post("/api/v1/keys", json={"name": "spare"})
    assert a_key["id"] not in {k["id"] for k in b.get("/api/v1/keys").json()["items"]}
    assert error_of(b.delete(f"/api/v1/keys/{a_key['id']}")) == (404, "key_not_found", "id")
    assert a.get("/api/v1/keys").json()["items"][0]["revoked_at"] is None


@pytest.mark.parametrize("key_id", ["0" * 32, "nope"])
def test_unknown_keys_are_404(a: httpx.Client, key_id: str) -> None:
    assert error_of(a.delete(f"/api/v1/keys/{key_id}")) == (404, "key_not_found", "id")


def test_the_last_active_key_cannot_be_revoked(a: httpx.Client) -> None:
    [only] = a.get("/api/v1/keys").json()["items"]
    assert error_of(a.delete(f"/api/v1/keys/{only['id']}")) == (409, "last_active_key", "id")
    assert a.get("/api/v1/keys").status_code == 200


def test_rotating_the_requesting_key(api: ApiServer, a: httpx.Client) -> None:
    [old] = a.get("/api/v1/keys").json()["items"]
    new = a.post("/api/v1/keys", json={"name": "rotated"}).json()
    assert a.delete(f"/api/v1/keys/{old['id']}").status_code == 204  # the key making the request
    assert error_of(a.get("/api/v1/keys"))[:2] == (401, "unauthorized")
    with api.client(new["key"]) as client:
        keys = {k["id"]: k for k in client.get("/api/v1/keys").json()["items"]}
        assert keys[old["id"]]["revoked_at"] is not None and keys[new["id"]]["revoked_at"] is None
        # Revoking a revoked key again is a no-op.
        assert client.delete(f"/api/v1/keys/{old['id']}").status_code == 204
        assert error_of(client.delete(f"/api/v1/keys/{new['id']}"))[:2] == (409, "last_active_key")


def test_concurrent_revocations_leave_exactly_one_active_key(api: ApiServer) -> None:
    """Every key of a tenant revoked at once, by requests each made with the key it revokes:
    checking "another key is active" and revoking apart let two of them pass together."""

    async def revoke_all(keys: list[dict[str, Any]]) -> list[int]:
        async with httpx.AsyncClient(base_url=api.url, timeout=10) as client:
            responses = await asyncio.gather(
                *(
                    client.delete(
                        f"/api/v1/keys/{key['id']}", headers={"Authorization": f"Bearer {key['key']}"}
                    )
                    for key in keys
                )
            )
        return [response.status_code for response in responses]

    for round_ in range(20):
        tenant = api.new_account(f"racing {round_}")
        with api.client(tenant.key) as client:
            [first] = client.get("/api/v1/keys").json()["items"]
            keys = [{**first, "key": tenant.key}]
            keys += [client.post("/api/v1/keys", json={"name": f"k{i}"}).json() for i in range(5)]
        statuses = asyncio.run(revoke_all(keys))
        assert sorted(statuses) == [204] * 5 + [409], statuses
        survivor = keys[statuses.index(409)]
        with api.client(survivor["key"]) as client:
            listed = client.get("/api/v1/keys").json()["items"]
        assert [key["id"] for key in listed if key["revoked_at"] is None] == [survivor["id"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing_field"),
        ({"name": None}, "invalid_type"),
        ({"name": 7}, "invalid_type"),
        ({"name": ""}, "blank"),
        ({"name": "   "}, "blank"),
        ({"name": "n" * 101}, "too_long"),
        ({"name": "a\tb"}, "control_characters"),
        ({"name": "ok", "tenant_id": "x"}, "unknown_field"),
    ],
)
def test_key_name_rules(a: httpx.Client, body: dict[str, Any], code: str) -> None:
    status, got, field = error_of(a.post("/api/v1/keys", json=body))
    assert (status, got, field) == (422, code, "tenant_id" if code == "unknown_field" else "name")
    assert len(a.get("/api/v1/keys").json()["items"]) == 1


def test_a_whole_number_written_with_a_fraction_is_a_whole_number(a: httpx.Client) -> None:
    # JSON has one kind of number, and JSON Schema's "integer" takes 30.0 as 30.
    response = a.patch("/api/v1/settings", json={"attribution_window_days": 30.0})
    assert response.status_code == 200 and response.json()["attribution_window_days"] == 30
    assert error_of(a.patch("/api/v1/settings", json={"attribution_window_days": 30.5}))[:2] == (
        422,
        "invalid_type",
    )
