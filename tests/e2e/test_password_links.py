"""A link with a password through the real product (``smartlinks up``): made with the API,
opened by a visitor who sees the page, gets in with the password and is remembered; the
clicks reach analytics (the page is not one); a new password set through the API reaches
the redirector over the change relay and turns the old cookie away; the password is in no
log."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest

from redirector.password_gate import COOKIE_NAME
from smartlinks.eventlog.segments import segment_numbers, segment_path
from tests.support.product import Running, start, stop
from tests.support.waiting import seconds_until

PASSWORD = "correct horse battery"
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Safari/537.36"
)


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Path]]:
    data_dir = tmp_path_factory.mktemp("passwords") / "data"
    process, running = start(data_dir, ready="/readyz")
    try:
        yield running, data_dir
    finally:
        stop(process)


def analytics(api: httpx.Client, link: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/api/v1/links/{link['id']}/analytics").json()
    return body


def test_a_visitor_gets_in_with_the_password_and_a_new_password_locks_it_out(
    product: tuple[Running, Path],
) -> None:
    running, data_dir = product
    with (
        httpx.Client(base_url=running.url, headers={"Authorization": f"Bearer {running.key}"}) as api,
        httpx.Client(
            base_url=running.url, follow_redirects=False, headers={"User-Agent": BROWSER}
        ) as visitor,
    ):
        visit(api, visitor, running, data_dir)


def visit(api: httpx.Client, visitor: httpx.Client, running: Running, data_dir: Path) -> None:
    created = api.post(
        "/api/v1/links", json={"destination_url": "https://shop.example/vip", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["has_password"] is True
    path = f"/{link['code']}"

    assert visitor.get(path).status_code == 200  # the page
    assert visitor.post(path, data={"password": "wrong"}).status_code == 403
    passed = visitor.post(path + "?utm_source=mail", data={"password": PASSWORD})
    assert passed.status_code == 303
    assert passed.headers["location"] == "https://shop.example/vip?utm_source=mail"
    remember = SimpleCookie(
        next(c for c in passed.headers.get_list("set-cookie") if c.startswith(COOKIE_NAME + "="))
    )[COOKIE_NAME].value
    # The client keeps both cookies (the visitor's and the password's), as a browser would.
    again = visitor.get(path)
    assert again.status_code == 302 and again.headers["location"] == "https://shop.example/vip"

    # Two clicks by one visitor; the page and the wrong guess are none.
    seconds_until(lambda: analytics(api, link)["totals"]["total"] >= 2, 30, "the clicks in analytics")
    assert analytics(api, link)["totals"] == {"total": 2, "unique": 1, "bots": 0}

    changed = api.patch(f"/api/v1/links/{link['id']}", json={"password": "a new one"})
    assert changed.status_code == 200 and changed.json()["has_password"] is True
    old = {"Cookie": f"{COOKIE_NAME}={remember}"}
    seconds_until(
        lambda: httpx.get(running.url + path, headers=old).status_code == 200, 5, "the old cookie refused"
    )
    assert visitor.post(path, data={"password": PASSWORD}).status_code == 403
    assert visitor.post(path, data={"password": "a new one"}).status_code == 303

    folder = data_dir / "events"
    logged = b"".join(segment_path(folder, n).read_bytes() for n in segment_numbers(folder))
    for secret in (PASSWORD, "a new one"):
        assert secret.encode() not in logged
        assert secret not in running.log.read_text()
