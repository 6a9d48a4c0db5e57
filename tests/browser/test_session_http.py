"""The dashboard over plain HTTP, without a browser: security headers, the pages and
assets, and the session cookie as an alternative to a Bearer key (CSRF included)."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import ApiContext, ZeroClickCounter, create_api
from api.auth import CSRF_HEADER, SESSION_COOKIE, Sessions
from api.dashboard import CONTENT_SECURITY_POLICY, STATIC_DIR
from smartlinks.changes import InProcessChangeFeed
from smartlinks.outbox import ChangeRelay
from smartlinks.settings import Settings
from smartlinks.store.sqlite import SQLiteLinkStore
from tests.support.lifespan import WithStore
from tests.support.server import serve


@dataclass
class Dashboard:
    url: str
    store: SQLiteLinkStore
    loop: asyncio.AbstractEventLoop

    def call(self, coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)  # type: ignore[arg-type]

    def new_key(self, name: str = "tenant") -> str:
        # Tenant names are unique: each key gets a tenant of its own name.
        tenant = self.call(self.store.create_tenant(f"{name} {secrets.token_hex(4)}"))
        _, key = self.call(self.store.create_api_key(tenant.id, "first"))  # type: ignore[attr-defined]
        return str(key)

    def client(self, **headers: str) -> httpx.Client:
        host = self.url.removeprefix("http://")
        return httpx.Client(base_url=self.url, headers={"Origin": f"http://{host}", **headers}, timeout=10)


@contextmanager
def served(data_dir: Path) -> Iterator[Dashboard]:
    """The API with the dashboard, as one API process on ``data_dir`` would serve it."""
    settings = Settings(data_dir=data_dir)
    store = SQLiteLinkStore(data_dir / "links.sqlite3")
    relay = ChangeRelay(store, InProcessChangeFeed())
    app = WithStore(create_api(ApiContext(settings, store, relay, ZeroClickCounter())), store)
    with serve(app) as url:
        yield Dashboard(url, store, app.loop)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    with served(tmp_path_factory.mktemp("dashboard")) as running:
        yield running


@contextmanager
def signed_in(dashboard: Dashboard, key: str) -> Iterator[tuple[httpx.Client, str]]:
    """A client holding a session cookie, and the session's CSRF token."""
    with dashboard.client() as client:
        response = client.post("/dashboard/session", json={"key": key})
        assert response.status_code == 200, response.text
        yield client, response.json()["csrf_token"]


def post_session(dashboard: Dashboard, **kwargs: Any) -> httpx.Response:
    with dashboard.client() as client:
        return client.post("/dashboard/session", **kwargs)


def error_code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def csrf_refused(response: httpx.Response) -> bool:
    """A signed-in change without the session's CSRF token: 403, not 401 (the session is
    fine, and signing in again would not help)."""
    return error_code(response) == (403, "csrf_failed")


# pages and headers


@pytest.mark.parametrize(
    "path", ["/dashboard", "/dashboard/links", "/dashboard/settings", "/dashboard/links/x"]
)
def test_every_screen_is_the_one_page_with_strict_headers(dashboard: Dashboard, path: str) -> None:
    response = httpx.get(dashboard.url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


def test_the_page_has_no_inline_script_and_its_assets_are_served(dashboard: Dashboard) -> None:
    html = httpx.get(dashboard.url + "/dashboard").text
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)
    assert "style=" not in html and "<style" not in html
    for asset in re.findall(r'(?:src|href)="(/dashboard/[^"]+)"', html):
        response = httpx.get(dashboard.url + asset)
        assert response.status_code == 200, asset
        assert response.headers["x-content-type-options"] == "nosniff"
        if "/assets/" in asset:
            assert "immutable" in response.headers["cache-control"]


@pytest.mark.parametrize(
    "path", ["/dashboard/assets/nope.js", "/dashboard/assets/..%2Fsource.sha256", "/dashboard/a/b.js"]
)
def test_unknown_files_are_404(dashboard: Dashboard, path: str) -> None:
    response = httpx.get(dashboard.url + path)
    assert response.status_code == 404
    assert response.headers["x-content-type-options"] == "nosniff"


def test_only_the_dashboard_prefix_is_public(dashboard: Dashboard) -> None:
    assert httpx.get(dashboard.url + "/dashboardx").status_code == 401


def test_dashboard_paths_need_no_key_but_the_api_does(dashboard: Dashboard) -> None:
    assert httpx.get(dashboard.url + "/dashboard/session").json() == {"signed_in": False}
    assert httpx.get(dashboard.url + "/api/v1/links").status_code == 401


# signing in and out


def test_sign_in_sets_a_strict_httponly_cookie_and_never_echoes_the_key(dashboard: Dashboard) -> None:
    key = dashboard.new_key()
    response = post_session(dashboard, json={"key": key})
    assert response.status_code == 200
    assert key not in response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert key not in cookie
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back
    body = response.json()
    assert body["signed_in"] is True and body["tenant"]["name"].startswith("tenant ")
    assert len(body["key_ids"]) == 1 and body["csrf_token"]
    assert response.headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_when_the_browser_is_on_https(dashboard: Dashboard) -> None:
    key = dashboard.new_key()
    host = dashboard.url.removeprefix("http://")
    # Behind a TLS-terminating proxy: the page is https, this server sees http.
    response = httpx.post(
        dashboard.url + "/dashboard/session",
        json={"key": key},
        headers={"Origin": f"https://{host}"},
    )
    assert response.status_code == 200
    assert "secure" in {part.strip().lower() for part in response.headers["set-cookie"].split(";")}


@pytest.mark.parametrize("key", ["sl_wrongwrongwrongwrongwrong", "", "   ", "x" * 300])
def test_a_wrong_key_signs_nobody_in(dashboard: Dashboard, key: str) -> None:
    response = post_session(dashboard, json={"key": key})
    assert response.status_code in (401, 422)
    assert "set-cookie" not in response.headers
    assert response.json()["error"]["field"] == "key"


def test_sign_in_from_another_site_or_as_a_form_is_refused(dashboard: Dashboard) -> None:
    key = dashboard.new_key()
    cross = httpx.post(
        dashboard.url + "/dashboard/session", json={"key": key}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 401 and "set-cookie" not in cross.headers
    form = post_session(dashboard, data={"key": key})
    assert form.status_code == 415 and "set-cookie" not in form.headers


def test_session_status_and_sign_out(dashboard: Dashboard) -> None:
    with signed_in(dashboard, dashboard.new_key("acme")) as (client, token):
        status = client.get("/dashboard/session").json()
        assert status["signed_in"] is True and status["tenant"]["name"].startswith("acme ")
        assert status["csrf_token"] == token
        out = client.delete("/dashboard/session")
        assert out.status_code == 204
        assert "max-age=0" in out.headers["set-cookie"].lower()
        assert client.get("/dashboard/session").json() == {"signed_in": False}
        assert client.get("/api/v1/links").status_code == 401


def _with_cookie(dashboard: Dashboard, cookie: str) -> httpx.Client:
    """A client that sends exactly this session cookie, whatever it is told to forget."""
    host = dashboard.url.removeprefix("http://")
    headers = {"Origin": f"http://{host}", "Cookie": f"{SESSION_COOKIE}={cookie}"}
    return httpx.Client(base_url=dashboard.url, headers=headers, timeout=10)


def test_signing_out_ends_the_session_on_the_server(dashboard: Dashboard) -> None:
    key = dashboard.new_key()
    with signed_in(dashboard, key) as (client, token):
        cookie = client.cookies[SESSION_COOKIE]
        created = client.post(
            "/api/v1/links", json={"destination_url": "https://example.com/"}, headers={CSRF_HEADER: token}
        )
        assert created.status_code == 201
        assert client.delete("/dashboard/session").status_code == 204
    # The old cookie, kept or copied, neither reads nor writes: the session is over.
    over = (401, "unauthorized")
    link_path = f"/api/v1/links/{created.json()['id']}"
    with _with_cookie(dashboard, cookie) as old:
        assert error_code(old.get("/api/v1/links")) == over
        assert error_code(old.get(link_path)) == over
        body = {"destination_url": "https://example.com/after"}
        assert error_code(old.post("/api/v1/links", json=body, headers={CSRF_HEADER: token})) == over
        assert error_code(old.patch(link_path, json={"title": "x"}, headers={CSRF_HEADER: token})) == over
        assert error_code(old.delete(link_path, headers={CSRF_HEADER: token})) == over
        assert old.get("/dashboard/session").json() == {"signed_in": False}
        assert old.delete("/dashboard/session").status_code == 204  # signing out twice is fine
    # Signing in again with the same key is a new session, and works.
    with signed_in(dashboard, key) as (client, token):
        assert client.cookies[SESSION_COOKIE] != cookie
        assert [link["id"] for link in client.get("/api/v1/links").json()["items"]] == [created.json()["id"]]


def test_a_signed_out_session_is_over_in_every_api_process_and_after_a_restart(
    tmp_path: Path,
) -> None:
    with served(tmp_path) as first:
        key = first.new_key()
        with signed_in(first, key) as (client, _):
            signed_out = client.cookies[SESSION_COOKIE]
            assert client.delete("/dashboard/session").status_code == 204
        with signed_in(first, key) as (client, _):
            live = client.cookies[SESSION_COOKIE]
    # Another process on the same data (the same secret and link store), started afresh:
    # it never saw the sign-out, and still refuses that session, but not the live one.
    with served(tmp_path) as second:
        with _with_cookie(second, signed_out) as old:
            assert error_code(old.get("/api/v1/links")) == (401, "unauthorized")
        with _with_cookie(second, live) as current:
            assert current.get("/api/v1/links").status_code == 200


# the cookie on the public API


def test_the_cookie_reads_the_api_and_writes_only_with_the_csrf_token(dashboard: Dashboard) -> None:
    with signed_in(dashboard, dashboard.new_key()) as (client, token):
        assert client.get("/api/v1/links").status_code == 200
        body = {"destination_url": "https://example.com/"}
        assert csrf_refused(client.post("/api/v1/links", json=body))
        assert csrf_refused(client.post("/api/v1/links", json=body, headers={CSRF_HEADER: "x" * 32}))
        created = client.post("/api/v1/links", json=body, headers={CSRF_HEADER: token})
        assert created.status_code == 201
        link_id = created.json()["id"]
        changed = client.patch(f"/api/v1/links/{link_id}", json={"title": "t"}, headers={CSRF_HEADER: token})
        assert changed.status_code == 200
        assert csrf_refused(client.patch(f"/api/v1/links/{link_id}", json={"title": "no"}))
        assert csrf_refused(client.delete(f"/api/v1/links/{link_id}"))
        assert client.get(f"/api/v1/links/{link_id}").json()["title"] == "t"  # neither happened
        assert client.delete(f"/api/v1/links/{link_id}", headers={CSRF_HEADER: token}).status_code == 204


def test_a_write_from_another_origin_is_refused_even_with_the_token(dashboard: Dashboard) -> None:
    with signed_in(dashboard, dashboard.new_key()) as (client, token):
        response = client.post(
            "/api/v1/links",
            json={"destination_url": "https://example.com/"},
            headers={CSRF_HEADER: token, "Origin": "https://evil.example"},
        )
        assert csrf_refused(response)
        assert client.get("/api/v1/links").json()["items"] == []


def test_odd_headers_are_refused_not_crashed_on(dashboard: Dashboard) -> None:
    with signed_in(dashboard, dashboard.new_key()) as (client, token):
        body = {"destination_url": "https://example.com/"}
        for headers in (
            {CSRF_HEADER: "ünïcode".encode().decode("latin-1")},
            {CSRF_HEADER: token, "Origin": "http://hôst.example".encode().decode("latin-1")},
            {CSRF_HEADER: token, "Origin": "null"},
        ):
            raw = {k: v.encode("latin-1") for k, v in headers.items()}
            assert csrf_refused(client.post("/api/v1/links", json=body, headers=raw))
        assert (
            client.post(
                "/dashboard/session", json={"key": "x"}, headers={"Origin": b"http://\xff"}
            ).status_code
            == 401
        )


def test_a_bearer_key_wins_over_the_cookie(dashboard: Dashboard) -> None:
    other = dashboard.new_key("bearer tenant")
    with signed_in(dashboard, dashboard.new_key("cookie tenant")) as (client, _):
        mine = client.post(
            "/api/v1/links",
            json={"destination_url": "https://a.example/"},
            headers={"Authorization": f"Bearer {other}"},
        )
        assert mine.status_code == 201  # no CSRF token needed: the key authenticates
        assert client.get("/api/v1/links").json()["items"] == []  # the cookie's tenant sees none
        assert (
            client.get("/api/v1/links", headers={"Authorization": "Bearer sl_wrong_wrong"}).status_code == 401
        )


def test_revoking_the_key_ends_its_sessions(dashboard: Dashboard) -> None:
    key = dashboard.new_key()
    with signed_in(dashboard, key) as (client, token):
        second = client.post("/api/v1/keys", json={"name": "second"}, headers={CSRF_HEADER: token}).json()
        first_id = client.get("/dashboard/session").json()["key_ids"][0]
        # revoking another key leaves the session alone
        assert client.delete(f"/api/v1/keys/{second['id']}", headers={CSRF_HEADER: token}).status_code == 204
        assert client.get("/api/v1/links").status_code == 200
        third = client.post("/api/v1/keys", json={"name": "third"}, headers={CSRF_HEADER: token}).json()
        assert client.delete(f"/api/v1/keys/{first_id}", headers={CSRF_HEADER: token}).status_code == 204
        assert client.get("/api/v1/links").status_code == 401
        assert client.get("/dashboard/session").json() == {"signed_in": False}
    with httpx.Client(base_url=dashboard.url, headers={"Authorization": f"Bearer {third['key']}"}) as api:
        assert api.get("/api/v1/links").status_code == 200


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # signature
        lambda c: c.replace("v1.", "v1.e", 1),  # claims
        lambda c: "v2" + c[2:],
        lambda c: "",
        lambda c: "garbage",
    ],
)
def test_a_forged_cookie_is_refused(dashboard: Dashboard, mangle: object) -> None:
    with signed_in(dashboard, dashboard.new_key()) as (client, _):
        cookie = client.cookies[SESSION_COOKIE]
    forged = mangle(cookie)  # type: ignore[operator]
    response = httpx.get(dashboard.url + "/api/v1/links", headers={"Cookie": f"{SESSION_COOKIE}={forged}"})
    assert response.status_code == 401


def test_sessions_expire_and_are_bound_to_the_secret() -> None:
    sessions = Sessions(lambda: b"secret one", lifetime=60)
    cookie = sessions.issue("t" * 32, ["k" * 32], now=1_000)
    session = sessions.read(cookie, now=1_030)
    assert session is not None and session.tenant_id == "t" * 32 and session.key_ids == ("k" * 32,)
    assert sessions.read(cookie, now=1_060) is None
    assert Sessions(lambda: b"secret two").read(cookie, now=1_030) is None
    assert sessions.csrf_token(cookie) != Sessions(lambda: b"secret two").csrf_token(cookie)


def test_building_the_app_reads_no_secret(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "never")
    store = SQLiteLinkStore(tmp_path / "unused.sqlite3")
    create_api(ApiContext(settings, store, ChangeRelay(store, InProcessChangeFeed()), ZeroClickCounter()))
    assert not (tmp_path / "never").exists()


def test_the_built_dashboard_is_present() -> None:
    assert (STATIC_DIR / "index.html").is_file()
