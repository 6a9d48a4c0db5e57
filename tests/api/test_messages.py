"""POST /api/v1/messages/rewrite over real HTTP: every URL of a message becomes a tracked
link, reused per destination, campaign and contact; the rest of the text stays as it was."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import pytest

from api.message_urls import find_urls
from tests.api.conftest import BASE_URL, ApiServer, create, error_of, unique_code

REWRITE = "/api/v1/messages/rewrite"


def rewrite(client: httpx.Client, text: str, **fields: Any) -> dict[str, Any]:
    response = client.post(REWRITE, json={"text": text, **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def short(link: dict[str, Any]) -> str:
    return str(link["short_url"])


def test_a_message_with_several_urls_punctuation_and_formatting(a: httpx.Client) -> None:
    campaign = unique_code("wa")
    text = (
        "Olá Ana! 🎉 *Oferta:* https://shop.example/sale?utm=wa. Veja também "
        "(https://shop.example/faq) e _https://blog.example/post_1_, ou ~https://old.example~…\n"
        "Again: https://shop.example/sale?utm=wa!"
    )
    body = rewrite(a, text, campaign=campaign, contact_id="ana")
    links = {item["url"]: item["link"] for item in body["links"]}
    assert list(links) == [
        "https://shop.example/sale?utm=wa",
        "https://shop.example/faq",
        "https://blog.example/post_1",
        "https://old.example",
    ]
    sale, faq, post, old = links.values()
    assert body["text"] == (
        f"Olá Ana! 🎉 *Oferta:* {short(sale)}. Veja também "
        f"({short(faq)}) e _{short(post)}_, ou ~{short(old)}~…\n"
        f"Again: {short(sale)}!"
    )
    for link in links.values():
        assert (link["campaign"], link["contact_id"]) == (campaign, "ana")
        assert link["short_url"].startswith(BASE_URL + "/")
    assert sale["destination_url"] == "https://shop.example/sale?utm=wa"
    # They are the tenant's links, like any other.
    listed = a.get("/api/v1/links", params={"campaign": campaign}).json()["items"]
    assert {link["id"] for link in listed} == {link["id"] for link in links.values()}


def test_repeat_calls_reuse_links_per_destination_contact_and_campaign(a: httpx.Client) -> None:
    campaign = unique_code("re")
    text = "Tap https://shop.example/a"
    first = rewrite(a, text, campaign=campaign, contact_id="c1")
    again = rewrite(a, text + " now", campaign=campaign, contact_id="c1")
    assert again["links"][0]["link"]["id"] == first["links"][0]["link"]["id"]
    assert again["text"] == first["text"] + " now"
    other_contact = rewrite(a, text, campaign=campaign, contact_id="c2")["links"][0]["link"]
    other_campaign = rewrite(a, text, campaign=campaign + "x", contact_id="c1")["links"][0]["link"]
    no_labels = rewrite(a, text)["links"][0]["link"]
    ids = {first["links"][0]["link"]["id"], other_contact["id"], other_campaign["id"], no_labels["id"]}
    assert len(ids) == 4
    assert (no_labels["campaign"], no_labels["contact_id"]) == (None, None)


def test_our_own_short_links_and_non_urls_are_left_alone(a: httpx.Client) -> None:
    existing = create(a, destination_url="https://shop.example/x")
    not_urls = "http:// https://.bad/x ftp://files.example/x mailto:a@b.example www.example.com"
    text = f"Already short: {existing['short_url']}. ({existing['short_url']}) {not_urls}"
    body = rewrite(a, text, campaign="own")
    assert body == {"text": text, "links": []}


def test_short_links_on_the_tenants_own_domain_are_left_alone(a: httpx.Client, b: httpx.Client) -> None:
    host = f"go{secrets.token_hex(4)}.example"
    assert a.post("/api/v1/domains", json={"domain": host}).status_code == 201
    on_domain = create(a, destination_url="https://shop.example/d", domain=host)
    assert on_domain["short_url"] == f"https://{host}/{on_domain['code']}"
    time.sleep(1.05)  # rewriting reads the domains at most once a second (api/messages.py)
    text = f"Ours: {on_domain['short_url']} and again https://{host.upper()}/{on_domain['code']}"
    assert rewrite(a, text, campaign="own") == {"text": text, "links": []}
    # Another tenant's message too: a link to it would be a short link to a short link.
    theirs = rewrite(b, f"See {on_domain['short_url']}", campaign="own")
    assert theirs["links"] == []


def test_a_message_without_urls_comes_back_unchanged(a: httpx.Client) -> None:
    text = "Привет! 你好 — no links here, just *bold* and _italic_. 👋"
    assert rewrite(a, text, contact_id="x") == {"text": text, "links": []}


def test_non_ascii_urls_are_tracked_whole(a: httpx.Client) -> None:
    text = "Статья: https://ru.wikipedia.org/wiki/Москва» и https://bücher.example/straße?q=ä。"
    body = rewrite(a, text, contact_id="u1")
    assert [item["url"] for item in body["links"]] == [
        "https://ru.wikipedia.org/wiki/Москва",
        "https://bücher.example/straße?q=ä",
    ]
    moscow, books = (item["link"] for item in body["links"])
    assert body["text"] == f"Статья: {short(moscow)}» и {short(books)}。"


def test_tenants_never_share_rewritten_links(a: httpx.Client, b: httpx.Client) -> None:
    text = "https://shop.example/shared"
    mine = rewrite(a, text, campaign="same", contact_id="same")["links"][0]["link"]
    theirs = rewrite(b, text, campaign="same", contact_id="same")["links"][0]["link"]
    assert mine["id"] != theirs["id"]
    assert error_of(b.get(f"/api/v1/links/{mine['id']}"))[:2] == (404, "link_not_found")


def test_new_links_are_announced_to_redirectors(a: httpx.Client, api: ApiServer) -> None:
    link = rewrite(a, "go https://shop.example/announce", contact_id=unique_code())["links"][0]["link"]
    assert any(change.kind == "created" and change.link_id == link["id"] for change in api.changes)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "missing_field"),
        ({"text": None}, 422, "missing_field"),
        ({"text": 5}, 422, "invalid_type"),
        ({"text": "x" * 65_537}, 422, "too_long"),
        ({"text": "x", "campaign": "a\x00b"}, 422, "control_characters"),
        ({"text": "x", "contact_id": 7}, 422, "invalid_type"),
        ({"text": "x", "sender": "me"}, 422, "unknown_field"),
        ({"text": " ".join(f"https://e.example/{n}" for n in range(101))}, 422, "too_many_urls"),
    ],
)
def test_bad_bodies(a: httpx.Client, body: dict[str, Any], status: int, code: str) -> None:
    assert error_of(a.post(REWRITE, json=body))[:2] == (status, code)


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("a https://x.example/p, b", ["https://x.example/p"]),
        (
            "https://x.example/a_(b) and (https://x.example/c)",
            ["https://x.example/a_(b)", "https://x.example/c"],
        ),
        ('"https://x.example/q?a=1&b=2"', ["https://x.example/q?a=1&b=2"]),
        ("<https://x.example/t>", ["https://x.example/t"]),
        ("HTTPS://X.EXAMPLE/Up?", ["HTTPS://X.EXAMPLE/Up"]),
        ("end https://x.example/#frag", ["https://x.example/#frag"]),
        ("https://x.example/🎉🎉", ["https://x.example/"]),
        ("two:https://a.example/1\nhttps://b.example/2", ["https://a.example/1", "https://b.example/2"]),
    ],
)
def test_where_urls_start_and_end(text: str, urls: list[str]) -> None:
    found = list(find_urls(text))
    assert [f.url for f in found] == urls
    assert all(text[f.start : f.end] == f.url for f in found)


def test_a_campaign_batch_rewrites_each_message_with_its_contact_s_links(a: httpx.Client) -> None:
    campaign = unique_code("batch")
    text = "Hi! Sale: https://shop.example/sale and https://shop.example/faq"
    before = rewrite(a, text, campaign=campaign, contact_id="c1")  # c1 has links already
    messages: list[Any] = [{"text": text, "campaign": campaign, "contact_id": f"c{n}"} for n in range(1, 301)]
    messages[7] = {"text": "x" * 70_000, "campaign": campaign, "contact_id": "c8"}
    messages[9] = "not an object"
    messages.append({"text": text, "campaign": campaign, "contact_id": "c2"})  # c2 again
    response = a.post(REWRITE, json={"messages": messages})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rewritten"], body["failed"]) == (299, 2)
    items = body["items"]
    assert [item["index"] for item in items] == list(range(301))
    assert (items[7]["status"], items[7]["error"]["code"]) == (422, "too_long")
    assert (items[9]["status"], items[9]["error"]["code"]) == (422, "invalid_type")
    ok = [item for item in items if item["status"] == 200]
    for item in ok:
        sale, faq = (entry["link"] for entry in item["links"])
        assert item["text"] == f"Hi! Sale: {short(sale)} and {short(faq)}"
        assert sale["campaign"] == faq["campaign"] == campaign
        assert sale["contact_id"] == faq["contact_id"] != ""
    by_contact = {item["links"][0]["link"]["contact_id"]: item for item in ok}
    assert len(by_contact) == 298  # c2 twice, one link each for both of its messages
    assert items[300]["links"] == items[1]["links"]
    # A contact's links are reused, here as by single rewrites.
    assert [entry["link"]["id"] for entry in items[0]["links"]] == [
        entry["link"]["id"] for entry in before["links"]
    ]
    listed = a.get("/api/v1/links", params={"campaign": campaign, "limit": 200}).json()
    assert len(listed["items"]) == 200 and listed["next_cursor"]  # 596 links in all: two a contact


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"messages": []}, "no_items"),
        ({"messages": [{"text": "x"}] * 10_001}, "too_many_items"),
        ({"messages": {"text": "x"}}, "invalid_type"),
        ({"messages": [{"text": "x"}], "campaign": "c"}, "unknown_field"),
    ],
)
def test_a_bad_batch_is_refused_whole(a: httpx.Client, body: dict[str, Any], code: str) -> None:
    assert error_of(a.post(REWRITE, json=body))[:2] == (422, code)
