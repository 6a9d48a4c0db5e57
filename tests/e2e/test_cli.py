"""The ``smartlinks`` command as a user runs it: a real process, real HTTP."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.product import SMARTLINKS, Running, env_for, start, stop

ROOT = Path(__file__).resolve().parents[2]


def test_up_serves_a_link_created_through_the_api(running: Running) -> None:
    assert running.key, "the first start prints an API key:\n" + "\n".join(running.output)
    assert any("short links: " + running.url in line for line in running.output)
    auth = {"Authorization": f"Bearer {running.key}"}
    created = httpx.post(
        running.url + "/api/v1/links", headers=auth, json={"destination_url": "https://example.com/landing"}
    )
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["short_url"] == f"{running.url}/{link['code']}"
    redirect = httpx.get(link["short_url"], follow_redirects=False)
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "https://example.com/landing"
    metrics = httpx.get(running.url + "/metrics").text
    assert 'smartlinks_redirect_requests_total{outcome="redirect"} 1.0' in metrics
    assert httpx.get(running.url + "/readyz").json()["status"] == "ready"
    # The embedded process serves the dashboard: / leads there; crawlers are kept out.
    home = httpx.get(running.url + "/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (302, "/dashboard")
    assert httpx.get(running.url + "/robots.txt").text == "User-agent: *\nDisallow: /\n"
    assert redirect.headers["x-robots-tag"] == "noindex"


def test_tenant_create_works_while_up_runs_and_tenants_are_isolated(running: Running) -> None:
    result = subprocess.run(
        [*SMARTLINKS, "tenant", "create", "Acme"],
        env=running.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    acme_key = result.stdout.strip().splitlines()[-1]
    assert acme_key.startswith("sl_")
    acme = {"Authorization": f"Bearer {acme_key}"}
    default = {"Authorization": f"Bearer {running.key}"}
    link = httpx.post(
        running.url + "/api/v1/links", headers=acme, json={"destination_url": "https://acme.example/"}
    ).json()
    assert httpx.get(f"{running.url}/api/v1/links/{link['id']}", headers=acme).status_code == 200
    assert httpx.get(f"{running.url}/api/v1/links/{link['id']}", headers=default).status_code == 404
    assert httpx.get(running.url + "/api/v1/links", headers=default).json()["items"] == []


def test_second_start_prints_no_new_key(tmp_path: Path) -> None:
    first, info = start(tmp_path / "data")
    stop(first)
    assert info.key
    second, again = start(tmp_path / "data")
    try:
        assert again.key == ""
        # the first key still works
        listed = httpx.get(again.url + "/api/v1/links", headers={"Authorization": f"Bearer {info.key}"})
        assert listed.status_code == 200
    finally:
        stop(second)


def test_migrate_applies_once(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data")
    first = subprocess.run([*SMARTLINKS, "migrate"], env=env, capture_output=True, text=True, check=True)
    assert "0001_links" in first.stdout
    clickhouse_migrations = len(list((ROOT / "schemas" / "clickhouse").glob("0*.sql")))
    assert f"ClickHouse: {clickhouse_migrations} migration(s) applied: 0001_clicks" in first.stdout
    second = subprocess.run([*SMARTLINKS, "migrate"], env=env, capture_output=True, text=True, check=True)
    assert "link store: 0 migration(s) applied" in second.stdout
    assert "ClickHouse: 0 migration(s) applied" in second.stdout


def test_bad_configuration_fails_fast_with_the_variable_named(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data", SMARTLINKS_REDIRECT_STATUS="303")
    result = subprocess.run([*SMARTLINKS, "up"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "SMARTLINKS_REDIRECT_STATUS" in result.stderr


def test_key_create_lets_an_operator_back_into_a_tenant(running: Running) -> None:
    def smartlinks(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*SMARTLINKS, *args], env=running.env, capture_output=True, text=True, timeout=60
        )

    def tenants() -> dict[str, tuple[str, int]]:
        """name -> (id, active keys), from ``tenant list``."""
        listed = smartlinks("tenant", "list")
        assert listed.returncode == 0, listed.stderr
        header, *lines = listed.stdout.splitlines()
        assert header.split() == ["ID", "CREATED", "(UTC)", "LINKS", "ACTIVE", "KEYS", "NAME"]
        rows = [line.split(None, 5) for line in lines]
        return {name: (tenant_id, int(active)) for tenant_id, _, _, _, active, name in rows}

    first_key = {"Authorization": f"Bearer {running.key}"}
    [first] = httpx.get(running.url + "/api/v1/keys", headers=first_key).json()["items"]
    default_id, active = tenants()["default"]
    assert active == 1

    by_name = smartlinks("key", "create", "default")
    assert by_name.returncode == 0, by_name.stderr
    new_key = by_name.stdout.strip().splitlines()[-1]
    assert new_key.startswith("sl_") and new_key != running.key
    # The new key is the tenant's: it works at once, even to revoke the key that was lost.
    new = {"Authorization": f"Bearer {new_key}"}
    assert httpx.delete(f"{running.url}/api/v1/keys/{first['id']}", headers=new).status_code == 204
    assert httpx.get(running.url + "/api/v1/links", headers=first_key).status_code == 401
    assert httpx.get(running.url + "/api/v1/links", headers=new).status_code == 200

    by_id = smartlinks("key", "create", default_id)
    assert by_id.returncode == 0, by_id.stderr
    by_id_key = by_id.stdout.strip().splitlines()[-1]
    assert httpx.get(
        running.url + "/api/v1/links", headers={"Authorization": f"Bearer {by_id_key}"}
    ).is_success
    assert tenants()["default"] == (default_id, 2)

    # A read-only key reads and changes nothing; it is not one of the tenant's managing keys.
    read_only = smartlinks("key", "create", "default", "--read-only")
    assert read_only.returncode == 0 and "read-only" in read_only.stdout, read_only.stderr
    reader = {"Authorization": f"Bearer {read_only.stdout.strip().splitlines()[-1]}"}
    assert httpx.get(running.url + "/api/v1/links", headers=reader).status_code == 200
    refused = httpx.post(
        running.url + "/api/v1/links", headers=reader, json={"destination_url": "https://a.example/"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    assert tenants()["default"] == (default_id, 2)

    unknown = smartlinks("key", "create", "nobody")
    assert unknown.returncode == 2
    assert "'nobody'" in unknown.stderr and "sl_" not in unknown.stdout
    assert smartlinks("tenant", "create", "Twins").returncode == 0
    # Names are unique whatever their case: a second "twins" is refused, so a key asked for
    # by name always goes to the one tenant meant.
    twin = smartlinks("tenant", "create", "twins")
    assert twin.returncode == 2 and "exists already" in twin.stderr and "sl_" not in twin.stdout
    assert smartlinks("key", "create", "Twins").returncode == 0


def test_tenant_create_refuses_an_empty_name_and_list_shows_created_and_links(running: Running) -> None:
    def smartlinks(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*SMARTLINKS, *args], env=running.env, capture_output=True, text=True, timeout=60
        )

    for empty in ("", "   "):
        refused = smartlinks("tenant", "create", empty)
        assert refused.returncode == 2 and "needs a name" in refused.stderr
        assert "Traceback" not in refused.stderr and "sl_" not in refused.stdout
    auth = {"Authorization": f"Bearer {running.key}"}
    for n in range(3):
        json = {"destination_url": f"https://shop.example/{n}"}
        assert httpx.post(running.url + "/api/v1/links", headers=auth, json=json).status_code == 201
    listed = smartlinks("tenant", "list").stdout.splitlines()
    assert len(listed) == 2  # the header and the default tenant: no nameless one
    tenant_id, day, time, links, active, name = listed[1].split(None, 5)
    assert (len(tenant_id), len(day), len(time), links, active, name) == (32, 10, 5, "3", "1", "default")


def test_migrate_while_up_runs_says_stop_it_first(running: Running) -> None:
    result = subprocess.run(
        [*SMARTLINKS, "migrate"], env=running.env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "stop smartlinks up first" in result.stderr
    assert "Traceback" not in result.stderr and "Cannot lock file" not in result.stderr
    assert httpx.get(running.url + "/readyz").json()["status"] == "ready"  # untouched


@pytest.mark.parametrize(
    ("command", "options", "variables"),
    [
        (["up"], [], ["SMARTLINKS_PORT", "SMARTLINKS_HOME_URL", "SMARTLINKS_CLICKHOUSE_URL"]),
        (["redirector"], [], ["SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS", "SMARTLINKS_REDIRECT_STATUS"]),
        (["api"], [], ["SMARTLINKS_CLICKHOUSE_URL", "SMARTLINKS_PUBLIC_URL"]),
        (["consumer"], [], ["SMARTLINKS_CONSUMER_GROUP", "SMARTLINKS_GEOIP_DB"]),
        (["analytics"], [], ["SMARTLINKS_CONSUMER_GROUP", "SMARTLINKS_PUBLIC_URL"]),
        (["migrate"], [], ["SMARTLINKS_DATABASE_URL", "SMARTLINKS_CLICKHOUSE_CLUSTER"]),
        (["tenant", "create"], ["name"], ["SMARTLINKS_DATA_DIR", "SMARTLINKS_DATABASE_URL"]),
        (["tenant", "list"], [], ["SMARTLINKS_DATA_DIR"]),
        (["key", "create"], ["tenant", "--read-only"], ["SMARTLINKS_DATABASE_URL"]),
        (["check-analytics"], ["--repair", "--from", "--to"], ["SMARTLINKS_CLICKHOUSE_URL"]),
    ],
)
def test_every_subcommand_help_lists_its_options_and_variables(
    command: list[str], options: list[str], variables: list[str]
) -> None:
    result = subprocess.run([*SMARTLINKS, *command, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "environment variables read" in result.stdout
    for word in [*options, *variables]:
        assert word in result.stdout, word


@pytest.mark.parametrize("part", ["consumer", "api"])
def test_a_consumer_or_api_alone_refuses_to_start_without_a_shared_clickhouse(
    tmp_path: Path, part: str
) -> None:
    # On a chDB of its own a consumer would take its share of the clicks where no API
    # reads them, and would report ready doing so.
    data = tmp_path / "data"
    env = env_for(data, SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9", SMARTLINKS_SECRET_KEY="s" * 32)
    result = subprocess.run([*SMARTLINKS, part], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"SMARTLINKS_CLICKHOUSE_URL is required by `smartlinks {part}`" in result.stderr
    assert "smartlinks analytics" in result.stderr  # where chDB is fine
    assert not (data / "links.sqlite3").exists()  # refused before touching anything
    assert not (data / "clickhouse").exists()
