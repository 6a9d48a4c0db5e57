"""``/api/v1/webhooks`` over real HTTP: create (the secret shown once), list, read,
change, delete, the deliveries log, validation, refused private URLs and isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from smartlinks.ids import new_id
from smartlinks.models import utcnow
from smartlinks.webhooks import DELIVERED, PENDING, AttemptOutcome, DeliveryAttempt, NewDelivery
from tests.api.conftest import ApiServer, create, error_of

PUBLIC = "https://93.184.215.14/hooks/smartlinks"  # an address literal: no DNS needed
PATH = "/api/v1/webhooks"


def make(client: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("url", PUBLIC)
    response = client.post(PATH, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_shows_the_secret_once(a: httpx.Client) -> None:
    response = a.post(PATH, json={"url": PUBLIC})
    assert response.status_code == 201
    created = response.json()
    assert response.headers["location"] == f"{PATH}/{created['id']}"
    assert created["secret"].startswith("whsec_") and len(created["secret"]) >= 40
    assert {k: v for k, v in created.items() if k not in ("id", "secret", "created_at", "updated_at")} == {
        "url": PUBLIC,
        "events": ["link.clicked"],
        "campaign": None,
        "link_id": None,
        "include_bots": False,
        "enabled": True,
        "disabled_reason": None,
    }
    read = a.get(f"{PATH}/{created['id']}").json()
    assert "secret" not in read and read == {k: v for k, v in created.items() if k != "secret"}
    listed = a.get(PATH).json()["items"]
    assert [item["id"] for item in listed] == [created["id"]] and "secret" not in listed[0]
    assert make(a)["secret"] != created["secret"]


def test_filters_name_a_campaign_and_a_link_of_the_tenant(a: httpx.Client, b: httpx.Client) -> None:
    link = create(a, campaign="spring")
    created = make(a, campaign="spring", link_id=link["id"], include_bots=True, events=["link.clicked"])
    assert (created["campaign"], created["link_id"], created["include_bots"]) == ("spring", link["id"], True)
    theirs = create(b)
    for link_id in (theirs["id"], "0" * 32, "not-an-id"):
        assert error_of(a.post(PATH, json={"url": PUBLIC, "link_id": link_id})) == (
            422,
            "link_not_found",
            "link_id",
        )
    a.delete(f"/api/v1/links/{link['id']}")
    assert error_of(a.post(PATH, json={"url": PUBLIC, "link_id": link["id"]}))[1] == "link_not_found"


def test_a_webhook_chooses_the_events_it_hears(a: httpx.Client) -> None:
    both = make(a, events=["conversion.recorded", "link.clicked", "conversion.recorded"])
    assert both["events"] == ["link.clicked", "conversion.recorded"]  # each once, in a fixed order
    assert a.get(f"{PATH}/{both['id']}").json()["events"] == both["events"]
    conversions = make(a, events=["conversion.recorded"])
    assert conversions["events"] == ["conversion.recorded"]
    changed = a.patch(f"{PATH}/{conversions['id']}", json={"events": ["link.clicked"]}).json()
    assert changed["events"] == ["link.clicked"]
    untouched = a.patch(f"{PATH}/{both['id']}", json={"campaign": "spring"}).json()
    assert untouched["events"] == ["link.clicked", "conversion.recorded"]
    assert error_of(a.patch(f"{PATH}/{both['id']}", json={"events": ["conversion"]})) == (
        422, "invalid_event", "events"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({}, 422, "missing_field", "url"),
        ({"url": 5}, 422, "invalid_type", "url"),
        ({"url": "ftp://93.184.215.14/"}, 422, "invalid_webhook_url", "url"),
        ({"url": "https://me:pw@93.184.215.14/"}, 422, "invalid_webhook_url", "url"),
        ({"url": "https://no-such-host.invalid/hook"}, 422, "invalid_webhook_url", "url"),
        ({"url": PUBLIC, "events": []}, 422, "invalid_event", "events"),
        ({"url": PUBLIC, "events": ["link.created"]}, 422, "invalid_event", "events"),
        ({"url": PUBLIC, "events": "link.clicked"}, 422, "invalid_type", "events"),
        ({"url": PUBLIC, "include_bots": "yes"}, 422, "invalid_type", "include_bots"),
        ({"url": PUBLIC, "campaign": "x" * 201}, 422, "too_long", "campaign"),
        ({"url": PUBLIC, "link_id": 7}, 422, "invalid_type", "link_id"),
        ({"url": PUBLIC, "secret": "mine"}, 422, "unknown_field", "secret"),
        ({"url": PUBLIC, "enabled": False}, 422, "unknown_field", "enabled"),
    ],
)
def test_bad_input_is_refused_with_a_code(
    a: httpx.Client, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    assert error_of(a.post(PATH, json=body)) == (status, code, field)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost:9000/hook",
        "http://[::ffff:10.0.0.1]/",
    ],
)
def test_private_urls_are_refused(a: httpx.Client, url: str) -> None:
    assert error_of(a.post(PATH, json={"url": url})) == (422, "webhook_url_forbidden", "url")
    hook = make(a)
    assert error_of(a.patch(f"{PATH}/{hook['id']}", json={"url": url})) == (
        422,
        "webhook_url_forbidden",
        "url",
    )
    assert a.get(f"{PATH}/{hook['id']}").json()["url"] == PUBLIC


def test_change_and_delete(a: httpx.Client) -> None:
    link = create(a)
    hook = make(a, campaign="spring")
    path = f"{PATH}/{hook['id']}"
    changed = a.patch(
        path,
        json={
            "url": PUBLIC + "/v2",
            "campaign": None,
            "link_id": link["id"],
            "include_bots": True,
            "enabled": False,
        },
    ).json()
    assert (changed["url"], changed["campaign"], changed["link_id"], changed["include_bots"]) == (
        PUBLIC + "/v2", None, link["id"], True
    )  # fmt: skip
    assert (changed["enabled"], changed["disabled_reason"]) == (False, None)
    assert changed["updated_at"] >= hook["updated_at"] and "secret" not in changed
    assert a.patch(path, json={}).json() == changed
    assert a.patch(path, json={"enabled": True}).json()["enabled"] is True
    assert error_of(a.patch(path, json={"secret": "x"})) == (422, "unknown_field", "secret")
    assert error_of(a.patch(path, json={"enabled": "no"})) == (422, "invalid_type", "enabled")
    assert a.delete(path).status_code == 204
    assert error_of(a.get(path)) == (404, "webhook_not_found", "id")
    assert error_of(a.delete(path)) == (404, "webhook_not_found", "id")


def test_another_tenant_sees_nothing(a: httpx.Client, b: httpx.Client) -> None:
    hook = make(a)
    path = f"{PATH}/{hook['id']}"
    assert b.get(PATH).json() == {"items": []}
    for response in (
        b.get(path),
        b.patch(path, json={"enabled": False}),
        b.delete(path),
        b.get(path + "/deliveries"),
        a.get(f"{PATH}/not-an-id"),
    ):
        assert error_of(response) == (404, "webhook_not_found", "id")
    assert a.get(path).json()["enabled"] is True


def test_a_tenant_has_at_most_100_webhooks(a: httpx.Client, b: httpx.Client) -> None:
    for _ in range(100):
        make(a)
    assert error_of(a.post(PATH, json={"url": PUBLIC})) == (409, "too_many_webhooks", None)
    make(b)


def test_the_deliveries_log(api: ApiServer, a: httpx.Client) -> None:
    hook = make(a)
    webhooks = api.store.webhooks
    first, second = (
        NewDelivery(new_id(), hook["id"], api.a.id, new_id(), "link.clicked", b"{}", utcnow())
        for _ in range(2)
    )
    assert api.call(webhooks.enqueue_deliveries([first, second])) == 2
    claimed = {c.id: c for c in api.call(webhooks.claim_deliveries(10, 60, 8, ()))}
    failed = DeliveryAttempt(utcnow(), 500, None, "boom", 31)
    api.call(webhooks.record_attempt(claimed[first.id], failed, AttemptOutcome(PENDING, utcnow())))
    [again] = api.call(webhooks.claim_deliveries(10, 60, 8, ()))
    ok = DeliveryAttempt(utcnow(), 200, None, "ok", 12)
    api.call(webhooks.record_attempt(again, ok, AttemptOutcome(DELIVERED, None)))

    page = a.get(f"{PATH}/{hook['id']}/deliveries", params={"limit": 1})
    assert page.status_code == 200
    [newest] = page.json()["items"]
    assert (newest["id"], newest["status"], newest["attempts"], newest["last_response"]) == (
        second.id, "pending", 0, None
    )  # fmt: skip
    assert newest["event_id"] == second.event_id and newest["next_attempt_at"] is not None
    rest = a.get(f"{PATH}/{hook['id']}/deliveries", params={"cursor": page.json()["next_cursor"]}).json()
    assert rest["next_cursor"] is None
    [done] = rest["items"]
    assert (done["id"], done["status"], done["attempts"], done["next_attempt_at"]) == (
        first.id,
        "delivered",
        2,
        None,
    )
    assert done["delivered_at"] is not None
    assert done["last_response"] == done["attempt_log"][0]
    assert [(x["status_code"], x["body"], x["duration_ms"]) for x in done["attempt_log"]] == [
        (200, "ok", 12), (500, "boom", 31)
    ]  # fmt: skip
    assert error_of(a.get(f"{PATH}/{hook['id']}/deliveries", params={"limit": "0"})) == (
        400,
        "invalid_limit",
        "limit",
    )
    assert error_of(a.get(f"{PATH}/{hook['id']}/deliveries", params={"cursor": "!"})) == (
        400,
        "invalid_cursor",
        "cursor",
    )


def test_bodies_match_the_openapi_schemas(api: ApiServer, a: httpx.Client) -> None:
    document = httpx.get(api.url + "/api/v1/openapi.json").json()

    def valid(schema: str, body: Any) -> None:
        Draft202012Validator({**document, "$ref": f"#/components/schemas/{schema}"}).validate(body)

    link = create(a)
    created = make(a, campaign="c", link_id=link["id"])
    valid("WebhookCreated", created)
    valid("Webhook", a.get(f"{PATH}/{created['id']}").json())
    click_id = new_id()
    api.call(
        api.store.webhooks.enqueue_deliveries(
            [
                NewDelivery(new_id(), created["id"], api.a.id, click_id, "link.clicked", b"{}", utcnow()),
                NewDelivery(
                    new_id(), created["id"], api.a.id, "order 7", "conversion.recorded", b"{}", utcnow()
                ),
            ]
        )
    )
    deliveries = a.get(f"{PATH}/{created['id']}/deliveries").json()
    valid("WebhookDeliveryList", deliveries)
    assert [(d["type"], d["event_id"]) for d in deliveries["items"]] == [
        ("conversion.recorded", "order 7"),
        ("link.clicked", click_id),
    ]
    valid("Webhook", a.patch(f"{PATH}/{created['id']}", json={"enabled": False}).json())
    valid("WebhookList", a.get(PATH).json())
    valid("Error", a.post(PATH, json={"url": "http://127.0.0.1/"}).json())
    valid(
        "WebhookCreate", {"url": PUBLIC, "events": ["link.clicked"], "campaign": None, "include_bots": True}
    )
