"""The funnel settings of a tenant (GET/PATCH /api/v1/settings) and each link's
``conversion_tracking``: the tenant's default on create, overridden per link, changed by PATCH."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiServer, create, error_of

SETTINGS = "/api/v1/settings"


def test_funnel_settings_change_and_reach_the_redirector(api: ApiServer, a: httpx.Client) -> None:
    link = create(a, conversion_tracking=True)
    body = {"conversion_tracking": True, "click_id_param": "gclid.x-1_", "attribution_window_days": 365}
    response = a.patch(SETTINGS, json=body)
    assert response.status_code == 200
    no_bot_rules = {"bot_user_agents": [], "bot_ip_ranges": []}
    assert response.json() == {"collect_metadata": True, **body, **no_bot_rules}
    assert a.get(SETTINGS).json() == response.json()
    # One change event for the redirectors to read the tenant's links again, which now
    # resolve with the new parameter.
    assert [(c.kind, c.tenant_id) for c in api.changes] == [
        ("created", api.a.id),
        ("tenant_updated", api.a.id),
    ]
    assert api.call(api.store.resolve(link["code"])).click_param == "gclid.x-1_"
    # One setting alone leaves the others.
    assert a.patch(SETTINGS, json={"attribution_window_days": 1}).json() == {
        "collect_metadata": True,
        **body,
        "attribution_window_days": 1,
        **no_bot_rules,
    }


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"conversion_tracking": "yes"}, "invalid_type", "conversion_tracking"),
        ({"conversion_tracking": None}, "invalid_type", "conversion_tracking"),
        ({"click_id_param": ""}, "invalid_click_id_param", "click_id_param"),
        ({"click_id_param": "x" * 65}, "invalid_click_id_param", "click_id_param"),
        ({"click_id_param": "sl click"}, "invalid_click_id_param", "click_id_param"),
        ({"click_id_param": "a&b=c"}, "invalid_click_id_param", "click_id_param"),
        ({"click_id_param": "clíck"}, "invalid_click_id_param", "click_id_param"),
        ({"click_id_param": 7}, "invalid_type", "click_id_param"),
        ({"attribution_window_days": 0}, "invalid_attribution_window", "attribution_window_days"),
        ({"attribution_window_days": 366}, "invalid_attribution_window", "attribution_window_days"),
        ({"attribution_window_days": -3}, "invalid_attribution_window", "attribution_window_days"),
        ({"attribution_window_days": 7.5}, "invalid_type", "attribution_window_days"),
        ({"attribution_window_days": "30"}, "invalid_type", "attribution_window_days"),
        ({"attribution_window_days": True}, "invalid_type", "attribution_window_days"),
        # A bad field refuses the whole change, good ones sent with it included.
        ({"conversion_tracking": True, "click_id_param": "?"}, "invalid_click_id_param", "click_id_param"),
    ],
)
def test_funnel_settings_rules(
    api: ApiServer, a: httpx.Client, body: dict[str, Any], code: str, field: str
) -> None:
    assert error_of(a.patch(SETTINGS, json=body)) == (422, code, field)
    assert a.get(SETTINGS).json()["conversion_tracking"] is False
    assert api.changes == []


def test_the_limits_are_allowed(a: httpx.Client) -> None:
    for body in ({"click_id_param": "x"}, {"click_id_param": "x" * 64}, {"attribution_window_days": 1}):
        assert a.patch(SETTINGS, json=body).status_code == 200


def test_a_new_link_follows_the_tenant_default_unless_it_says(a: httpx.Client, b: httpx.Client) -> None:
    assert create(a)["conversion_tracking"] is False
    assert create(a, conversion_tracking=True)["conversion_tracking"] is True
    a.patch(SETTINGS, json={"conversion_tracking": True})
    followed = create(a)
    assert followed["conversion_tracking"] is True
    assert a.get(f"/api/v1/links/{followed['id']}").json()["conversion_tracking"] is True
    assert create(a, conversion_tracking=False)["conversion_tracking"] is False
    # Another tenant's default is its own.
    assert create(b)["conversion_tracking"] is False


def test_bulk_items_and_rewritten_messages_follow_the_default(a: httpx.Client) -> None:
    a.patch(SETTINGS, json={"conversion_tracking": True})
    response = a.post(
        "/api/v1/links/bulk",
        json={
            "items": [
                {"destination_url": "https://a.example/"},
                {"destination_url": "https://b.example/", "conversion_tracking": False},
                {"destination_url": "https://c.example/", "conversion_tracking": "no"},
            ]
        },
    )
    items = response.json()["items"]
    assert [item["link"]["conversion_tracking"] for item in items[:2]] == [True, False]
    assert (items[2]["status"], items[2]["error"]["code"], items[2]["error"]["field"]) == (
        422, "invalid_type", "conversion_tracking"
    )  # fmt: skip
    rewritten = a.post(
        "/api/v1/messages/rewrite", json={"text": "Buy https://shop.example/x", "campaign": "c"}
    )
    [item] = rewritten.json()["links"]
    assert item["link"]["conversion_tracking"] is True


def test_patch_turns_tracking_on_and_off(api: ApiServer, a: httpx.Client) -> None:
    link = create(a)
    on = a.patch(f"/api/v1/links/{link['id']}", json={"conversion_tracking": True})
    assert on.status_code == 200 and on.json()["conversion_tracking"] is True
    assert api.call(api.store.resolve(link["code"])).click_param == "sl_click"
    titled = a.patch(f"/api/v1/links/{link['id']}", json={"title": "kept"}).json()
    assert (titled["title"], titled["conversion_tracking"]) == ("kept", True)
    off = a.patch(f"/api/v1/links/{link['id']}", json={"conversion_tracking": False}).json()
    assert off["conversion_tracking"] is False
    assert api.call(api.store.resolve(link["code"])).click_param is None
    listed = a.get("/api/v1/links").json()["items"]
    assert [item["conversion_tracking"] for item in listed if item["id"] == link["id"]] == [False]


@pytest.mark.parametrize("value", [None, "true", 1, []])
def test_conversion_tracking_must_be_a_boolean(a: httpx.Client, value: Any) -> None:
    created = a.post(
        "/api/v1/links", json={"destination_url": "https://a.example/", "conversion_tracking": value}
    )
    assert error_of(created) == (422, "invalid_type", "conversion_tracking")
    link = create(a)
    patched = a.patch(f"/api/v1/links/{link['id']}", json={"conversion_tracking": value})
    assert error_of(patched) == (422, "invalid_type", "conversion_tracking")
