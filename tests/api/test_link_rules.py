"""The rules of a link through the API (max_clicks, expired_url, password, targets,
variants): created, shown, changed one at a time, cleared, and every refusal with its code.
What the redirect does with them is tested in tests/redirector."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from smartlinks.passwords import password_matches
from tests.api.conftest import ApiServer, create, error_of

RULES: dict[str, Any] = {
    "max_clicks": 100,
    "expired_url": "https://shop.example/sold-out",
    "targets": [
        {"os": "ios", "destination_url": "https://apps.apple.com/app/id1"},
        {"device": "desktop", "country": "BR", "destination_url": "https://shop.example/br"},
    ],
    "variants": [
        {"destination_url": "https://shop.example/a", "weight": 3},
        {"destination_url": "https://shop.example/b", "weight": 1},
    ],
}


def test_a_link_with_every_rule_shows_them_and_never_its_password(a: httpx.Client, api: ApiServer) -> None:
    link = create(a, **RULES, password="open sesame")
    # Every condition of a target is shown, null where it was left out.
    shown_targets = [{"os": None, "device": None, "country": None, **t} for t in RULES["targets"]]
    assert {name: link[name] for name in RULES} == {**RULES, "targets": shown_targets}
    assert link["has_password"] is True
    assert "password" not in link and "open sesame" not in a.get(f"/api/v1/links/{link['id']}").text
    assert a.get(f"/api/v1/links/{link['id']}").json() == link
    # Kept as a slow hash that the password, and only it, matches.
    stored = api.call(api.store.get_link(api.a.id, link["id"]))
    assert stored is not None and stored.rules is not None and stored.rules.password_hash is not None
    assert stored.rules.password_hash.startswith("$argon2id$")
    assert password_matches(stored.rules.password_hash, "open sesame")
    assert not password_matches(stored.rules.password_hash, "open sesame ")


def test_rules_change_one_at_a_time_and_clear(a: httpx.Client, api: ApiServer) -> None:
    link = create(a, **RULES, password="first")
    path = f"/api/v1/links/{link['id']}"
    changed = a.patch(path, json={"max_clicks": 5}).json()
    assert changed["max_clicks"] == 5
    assert {name: changed[name] for name in ("targets", "variants", "expired_url", "has_password")} == {
        "targets": link["targets"], "variants": RULES["variants"], "expired_url": RULES["expired_url"],
        "has_password": True,
    }  # fmt: skip
    before = api.call(api.store.get_link(api.a.id, link["id"]))
    a.patch(path, json={"password": "second"})
    after = api.call(api.store.get_link(api.a.id, link["id"]))
    assert before and after and before.rules and after.rules and after.rules.password_hash
    assert password_matches(after.rules.password_hash, "second")
    cleared = a.patch(
        path,
        json={"max_clicks": None, "expired_url": None, "password": None, "targets": [], "variants": None},
    ).json()
    assert (cleared["max_clicks"], cleared["expired_url"], cleared["has_password"]) == (None, None, False)
    assert (cleared["targets"], cleared["variants"]) == ([], [])
    stored = api.call(api.store.get_link(api.a.id, link["id"]))
    assert stored is not None and stored.rules is None  # a plain link again


def test_a_whole_weight_written_as_a_decimal_is_a_whole_number(a: httpx.Client) -> None:
    # JSON has one kind of number: 3.0 is the integer 3, as the document's "integer" says.
    link = create(
        a, variants=[{"destination_url": URL, "weight": 3.0}, {"destination_url": URL, "weight": 1}]
    )
    assert [variant["weight"] for variant in link["variants"]] == [3, 1]
    changed = a.patch(f"/api/v1/links/{link['id']}", json={"variants": two_variants(weight=135482.0)})
    assert changed.status_code == 200, changed.text
    assert changed.json()["variants"][0]["weight"] == 135482


def test_bulk_create_takes_rules_per_item(a: httpx.Client) -> None:
    response = a.post(
        "/api/v1/links/bulk",
        json={"items": [{"destination_url": "https://e.example/1", "max_clicks": 1, "password": "pw"},
                        {"destination_url": "https://e.example/2", "variants": [{"weight": 1}]},
                        {"destination_url": "https://e.example/3"}]},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    first, second, third = response.json()["items"]
    assert (first["link"]["max_clicks"], first["link"]["has_password"]) == (1, True)
    assert second["status"] == 422 and second["error"]["code"] == "missing_field"
    assert third["link"]["has_password"] is False


URL = "https://x.example/"


def target(**conditions: Any) -> list[dict[str, Any]]:
    return [{"destination_url": URL, **conditions}]


def two_variants(weight: Any = 1, url: str = URL) -> list[dict[str, Any]]:
    return [{"destination_url": URL, "weight": weight}, {"destination_url": url, "weight": 1}]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"max_clicks": 0}, "invalid_max_clicks", "max_clicks"),
        ({"max_clicks": 2_000_000_001}, "invalid_max_clicks", "max_clicks"),
        ({"max_clicks": "ten"}, "invalid_type", "max_clicks"),
        ({"expired_url": "ftp://x.example/"}, "unsupported_scheme", "expired_url"),
        ({"password": ""}, "invalid_password", "password"),
        ({"password": "x" * 129}, "too_long", "password"),
        ({"password": "tab\there"}, "control_characters", "password"),
        ({"targets": target()}, "invalid_target", "targets[0]"),
        ({"targets": target(os="beos")}, "invalid_target", "targets[0].os"),
        ({"targets": target(device="tv")}, "invalid_target", "targets[0].device"),
        ({"targets": target(country="br")}, "invalid_target", "targets[0].country"),
        ({"targets": target(country="BRA")}, "invalid_target", "targets[0].country"),
        (
            {"targets": [{"os": "ios", "destination_url": "nope"}]},
            "unsupported_scheme",
            "targets[0].destination_url",
        ),
        ({"targets": target(os="ios") * 21}, "too_many_targets", "targets"),
        ({"targets": [{"os": "ios", "url": URL}]}, "unknown_field", "targets[0].url"),
        ({"variants": two_variants()[:1]}, "invalid_variants", "variants"),
        ({"variants": two_variants() * 6}, "invalid_variants", "variants"),
        ({"variants": two_variants(weight=0)}, "invalid_variants", "variants[0].weight"),
        ({"variants": two_variants(weight=1_000_001)}, "invalid_variants", "variants[0].weight"),
        ({"variants": two_variants(weight=1.5)}, "invalid_type", "variants[0].weight"),
        ({"variants": two_variants(url="https://")}, "invalid_url", "variants[1].destination_url"),
    ],
)
def test_bad_rules_are_refused_with_their_code(
    a: httpx.Client, body: dict[str, Any], code: str, field: str
) -> None:
    created = a.post("/api/v1/links", json={"destination_url": "https://e.example/", **body})
    assert error_of(created) == (422, code, field)
    if field.endswith("_url"):  # a URL's message names the field that holds it
        assert created.json()["error"]["message"].startswith(field + " ")
    link = create(a)
    assert error_of(a.patch(f"/api/v1/links/{link['id']}", json=body)) == (422, code, field)
    assert a.get(f"/api/v1/links/{link['id']}").json() == link  # nothing changed
