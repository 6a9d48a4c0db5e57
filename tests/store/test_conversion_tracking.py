"""The campaign funnel's part of the link store, on every engine: the tenant's conversion
settings, each link's ``conversion_tracking`` (and what a redirector resolves from them),
and publishable API keys."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from smartlinks.models import DEFAULT_CLICK_ID_PARAM, Link, LinkPatch, NewLink, Tenant, TenantPatch
from smartlinks.store import migrations as migration_files
from smartlinks.store.base import KeyHolder, LastActiveKey, TenantSummary
from smartlinks.store.link_store import LinkStore
from smartlinks.store.postgres import PostgresLinkStore
from smartlinks.store.sqlite import SQLiteLinkStore

pytestmark = pytest.mark.anyio


async def test_a_new_tenant_has_the_funnel_defaults(store: LinkStore) -> None:
    created = await store.create_tenant("fresh")
    stored = await store.get_tenant(created.id)
    assert stored == created
    assert (stored.conversion_tracking, stored.click_id_param, stored.attribution_window_days) == (
        False, DEFAULT_CLICK_ID_PARAM, 30
    )  # fmt: skip


async def test_settings_change_together_or_alone_and_announce_it(store: LinkStore, tenant: Tenant) -> None:
    patch = TenantPatch(conversion_tracking=True, click_id_param="cid", attribution_window_days=7)
    changed = await store.update_tenant(tenant.id, patch)
    expected = replace(tenant, conversion_tracking=True, click_id_param="cid", attribution_window_days=7)
    assert changed == expected and await store.get_tenant(tenant.id) == expected
    # One setting alone leaves the others as they are.
    alone = await store.update_tenant(tenant.id, TenantPatch(collect_metadata=False))
    assert alone == replace(expected, collect_metadata=False) == await store.get_tenant(tenant.id)
    kinds = [(c.kind, c.tenant_id) for _, c in await store.pending_changes()]
    assert kinds == [("tenant_updated", tenant.id)] * 2
    with pytest.raises(KeyError):
        await store.update_tenant("0" * 32, patch)
    assert len(await store.pending_changes()) == 2  # nothing announced for nobody


async def test_links_keep_their_conversion_tracking(store: LinkStore, tenant: Tenant) -> None:
    tracked = await store.create_link(NewLink(tenant.id, "https://a.example/", conversion_tracking=True))
    plain = await store.create_link(NewLink(tenant.id, "https://b.example/"))
    assert (tracked.conversion_tracking, plain.conversion_tracking) == (True, False)
    assert await store.get_link(tenant.id, tracked.id) == tracked
    [bulk_on, bulk_off] = await store.create_links(
        tenant.id,
        [
            NewLink(tenant.id, "https://c.example/", conversion_tracking=True),
            NewLink(tenant.id, "https://d.example/"),
        ],
    )
    [reused_on] = await store.reuse_or_create_links(tenant.id, ["https://e.example/"], "c", None, True)
    [reused_off] = await store.reuse_or_create_links(tenant.id, ["https://f.example/"], "c", None)
    assert isinstance(bulk_on, Link) and isinstance(bulk_off, Link)
    expected = {
        tracked.id: True,
        plain.id: False,
        bulk_on.id: True,
        bulk_off.id: False,
        reused_on.id: True,
        reused_off.id: False,
    }
    stored = await store.get_links(tenant.id, list(expected))
    assert {link.id: link.conversion_tracking for link in stored} == expected


async def test_a_patch_turns_tracking_on_and_off_and_other_edits_keep_it(
    store: LinkStore, tenant: Tenant
) -> None:
    link = await store.create_link(NewLink(tenant.id, "https://a.example/"))
    on = await store.update_link(tenant.id, link.id, LinkPatch(conversion_tracking=True))
    assert on is not None and on.conversion_tracking is True
    titled = await store.update_link(tenant.id, link.id, LinkPatch(title="still tracked"))
    assert titled is not None and titled.conversion_tracking is True and titled.title == "still tracked"
    off = await store.update_link(tenant.id, link.id, LinkPatch(conversion_tracking=False))
    assert off is not None and off.conversion_tracking is False
    assert await store.get_link(tenant.id, link.id) == off


async def test_resolve_names_the_click_parameter_of_tracked_links_only(
    store: LinkStore, tenant: Tenant
) -> None:
    await store.create_link(NewLink(tenant.id, "https://a.example/", code="track1", conversion_tracking=True))
    await store.create_link(NewLink(tenant.id, "https://b.example/", code="plain1"))
    tracked, plain = await store.resolve("track1"), await store.resolve("plain1")
    assert tracked is not None and tracked.click_param == "sl_click"
    assert plain is not None and plain.click_param is None
    # The parameter is the tenant's; a tracking tenant does not make an untracked link track.
    await store.update_tenant(tenant.id, TenantPatch(click_id_param="cid", conversion_tracking=True))
    tracked, plain = await store.resolve("track1"), await store.resolve("plain1")
    assert tracked is not None and tracked.click_param == "cid"
    assert plain is not None and plain.click_param is None


async def test_publishable_keys_are_told_apart_and_open_nothing_else(
    store: LinkStore, tenant: Tenant
) -> None:
    secret, secret_key = await store.create_api_key(tenant.id, "server")
    public, public_key = await store.create_api_key(tenant.id, "site", "publishable")
    assert secret_key.startswith("sl_") and secret.kind == "secret"
    assert (
        public_key.startswith("slp_")
        and public_key.startswith(public.prefix)
        and public.kind == "publishable"
    )
    assert not public_key.startswith(secret.prefix) and not secret_key.startswith(public.prefix)
    assert {key.id: key.kind for key in await store.list_api_keys(tenant.id)} == {
        secret.id: "secret",
        public.id: "publishable",
    }
    assert await store.key_holder(public_key) == KeyHolder(tenant, public.id, "publishable")
    assert await store.key_holder(secret_key) == KeyHolder(tenant, secret.id, "secret")
    assert await store.key_holder("slp_unknown") is None
    # Whatever asks for a tenant by key alone (sign-in, the API) gets none for a publishable key.
    assert await store.tenant_for_api_key(public_key) is None
    assert await store.tenant_for_api_key(secret_key) == tenant
    assert await store.revoke_api_key(tenant.id, public.id) is True
    assert await store.key_holder(public_key) is None


async def test_the_last_secret_key_stays_whatever_publishable_keys_there_are(
    store: LinkStore, tenant: Tenant
) -> None:
    secret, _ = await store.create_api_key(tenant.id, "server")
    public, _ = await store.create_api_key(tenant.id, "site", "publishable")
    await store.create_api_key(tenant.id, "shop", "publishable")
    # A publishable key cannot manage the tenant, so it does not count as a way back in.
    assert await store.list_tenants() == [TenantSummary(tenant, 1)]
    with pytest.raises(LastActiveKey):
        await store.revoke_api_key(tenant.id, secret.id)
    # Publishable keys go, last one included.
    assert await store.revoke_api_key(tenant.id, public.id) is True
    other, _ = await store.create_api_key(tenant.id, "other server")
    assert await store.revoke_api_key(tenant.id, secret.id) is True
    active = [key for key in await store.list_api_keys(tenant.id) if key.revoked_at is None]
    assert [(key.id, key.kind) for key in active if key.kind == "secret"] == [(other.id, "secret")]


def _insert_old_rows(store: LinkStore, tenant_id: str) -> None:
    """A key and a link written as the code before 0006 wrote them (it knew no new column)."""
    key = ("k" * 32, tenant_id, "old key", "sl_abcd", "hash-of-the-old-key", 1)
    link = ("l" * 32, tenant_id, "oldone", "https://old.example/", "https://old.example/", "", 1, 1)
    key_sql = "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, created_at) VALUES ({})"
    link_sql = (
        "INSERT INTO links (id, tenant_id, code, destination_url, location, search_text, created_at,"
        " updated_at) VALUES ({})"
    )
    if isinstance(store, SQLiteLinkStore):
        with sqlite3.connect(store.path) as conn:
            conn.execute(key_sql.format(", ".join("?" * 6)), key)
            conn.execute(link_sql.format(", ".join("?" * 8)), link)
    else:
        assert isinstance(store, PostgresLinkStore)
        with psycopg.connect(store.dsn, autocommit=True) as pg:
            pg.execute(key_sql.format(", ".join(["%s"] * 6)).encode(), key)
            pg.execute(link_sql.format(", ".join(["%s"] * 8)).encode(), link)


async def test_migrating_keeps_what_was_there_before_the_funnel(
    store: LinkStore, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database made by the migrations before 0006, with a tenant, a key and a link,
    migrated: the key is secret, the link does not track, the tenant has the defaults."""
    old: LinkStore
    if isinstance(store, SQLiteLinkStore):
        old, dialect = SQLiteLinkStore(tmp_path / "old.sqlite3"), "sqlite"
    else:
        old, dialect = PostgresLinkStore(request.getfixturevalue("postgres").create_database()), "postgres"
    before = [step for step in migration_files.migrations(dialect) if step[0] < 6]
    monkeypatch.setattr("smartlinks.store.migrations.migrations", lambda _: before)
    await old.open()
    try:
        tenant = await old.create_tenant("old")
    finally:
        await old.close()
    _insert_old_rows(old, tenant.id)
    monkeypatch.undo()
    # Later migrations follow (0007: the tenant's bot rules, read as none).
    assert (await old.migrate())[0] == "0006_conversion_tracking"
    await old.open()
    try:
        assert await old.get_tenant(tenant.id) == tenant
        [key] = await old.list_api_keys(tenant.id)
        assert (key.name, key.kind) == ("old key", "secret")
        resolved = await old.resolve("oldone")
        assert resolved is not None and resolved.click_param is None
        link = await old.get_link(tenant.id, "l" * 32)
        assert link is not None and link.conversion_tracking is False
    finally:
        await old.close()
