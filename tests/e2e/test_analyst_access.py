"""Analysts on the embedded default: a real ``smartlinks up`` on chDB, queried the way an
analyst's notebook queries a ClickHouse server (clickhouse-connect's HTTP client), and with
``smartlinks sql`` while it runs."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.support.ports import free_port
from tests.support.product import SMARTLINKS, Running, start, stop

PASSWORD = "notebook-secret"


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, int]]:
    port = free_port()
    data_dir = tmp_path_factory.mktemp("analyst") / "data"
    process, running = start(
        data_dir,
        SMARTLINKS_ANALYST_PASSWORD=PASSWORD,
        SMARTLINKS_ANALYST_PORT=str(port),
        SMARTLINKS_ANALYST_QUERY_TIMEOUT="1",
    )
    try:
        yield running, port
    finally:
        stop(process)


def _analyst(port: int, password: str = PASSWORD) -> clickhouse_connect.driver.Client:
    return clickhouse_connect.get_client(
        host="127.0.0.1", port=port, username="analyst", password=password, database="smartlinks"
    )


def _sql(running: Running, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SMARTLINKS, "sql", *args], env=running.env, capture_output=True, text=True, timeout=60
    )


def _redirect_some(running: Running, clicks: int) -> str:
    auth = {"Authorization": f"Bearer {running.key}"}
    link = httpx.post(
        running.url + "/api/v1/links", headers=auth, json={"destination_url": "https://example.com/a"}
    ).json()
    for _ in range(clicks):
        assert httpx.get(link["short_url"], follow_redirects=False).status_code == 302
    return str(link["id"])


def test_a_notebook_counts_the_clicks_of_real_redirects(product: tuple[Running, int]) -> None:
    running, port = product
    link_id = _redirect_some(running, 3)
    client = _analyst(port)
    try:
        query = "SELECT count() FROM clicks WHERE link_id = {id:String}"
        deadline = time.monotonic() + 30
        while (count := client.query(query, parameters={"id": link_id}).result_rows[0][0]) < 3:
            assert time.monotonic() < deadline, f"{count} clicks after 30 s"
            time.sleep(0.3)
        assert count == 3
        awkward = "it's a \\ and a\ttab"
        assert client.query("SELECT {s:String}", parameters={"s": awkward}).result_rows == [(awkward,)]
        # The API's own analytics still answer and agree: its connections stayed writable
        # and unaffected by the analyst's read-only session.
        auth = {"Authorization": f"Bearer {running.key}"}
        stats = httpx.get(f"{running.url}/api/v1/links/{link_id}/analytics", headers=auth, timeout=30)
        assert stats.status_code == 200, stats.text
        assert stats.json()["totals"]["total"] == 3
    finally:
        client.close()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO clicks (link_id) VALUES ('x')",
        "ALTER TABLE clicks DELETE WHERE 1",
        "DROP TABLE clicks",
        "SET readonly = 0",
        "SELECT count() FROM clicks SETTINGS readonly = 0",
    ],
)
def test_writes_and_setting_changes_are_refused_by_clickhouse(
    product: tuple[Running, int], statement: str
) -> None:
    client = _analyst(product[1])
    try:
        with pytest.raises(DatabaseError, match=r"Code: 164.*readonly mode"):
            client.command(statement)
        assert client.query("SELECT count() FROM system.tables WHERE name = 'clicks'").result_rows == [(1,)]
    finally:
        client.close()


def test_a_wrong_password_is_clickhouses_authentication_failure(product: tuple[Running, int]) -> None:
    with pytest.raises(DatabaseError, match=r"Code: 516.*analyst: Authentication failed"):
        _analyst(product[1], "wrong")
    raw = httpx.post(f"http://127.0.0.1:{product[1]}/", content=b"SELECT 1", auth=("analyst", "wrong"))
    assert raw.status_code == 401
    assert raw.headers["x-clickhouse-exception-code"] == "516"
    # ClickHouse's other ways to give credentials: its headers and the URL's parameters.
    headers = {"X-ClickHouse-User": "analyst", "X-ClickHouse-Key": PASSWORD}
    assert httpx.get(f"http://127.0.0.1:{product[1]}/?query=SELECT+1", headers=headers).text == "1\n"
    by_params = httpx.get(
        f"http://127.0.0.1:{product[1]}/",
        params={"query": "SELECT 2", "user": "analyst", "password": PASSWORD},
    )
    assert by_params.text == "2\n"


def test_ping_and_curl_formats(product: tuple[Running, int]) -> None:
    base = f"http://127.0.0.1:{product[1]}"
    ping = httpx.get(base + "/ping")
    assert (ping.status_code, ping.text) == (200, "Ok.\n")
    answer = httpx.post(
        base + "/",
        params={"default_format": "JSONEachRow"},
        content=b"SELECT 1 AS one, 'a' AS letter",
        auth=("analyst", PASSWORD),
    )
    assert answer.status_code == 200
    assert json.loads(answer.text) == {"one": 1, "letter": "a"}
    assert answer.headers["x-clickhouse-format"] == "JSONEachRow"
    in_query = httpx.post(base + "/", content=b"SELECT 3 FORMAT CSV", auth=("analyst", PASSWORD))
    assert (in_query.text, in_query.headers["x-clickhouse-format"]) == ("3\n", "CSV")
    failed = httpx.post(base + "/", content=b"SELECT nope FROM clicks", auth=("analyst", PASSWORD))
    assert failed.status_code == 400
    assert failed.text.startswith("Code: 47. DB::Exception:")
    huge = httpx.post(base + "/", content=b"SELECT 1 -- " + b"x" * (1 << 20), auth=("analyst", PASSWORD))
    assert huge.status_code == 413 and huge.text.startswith("Code: 62.")


def test_smartlinks_sql_queries_the_running_process(product: tuple[Running, int]) -> None:
    running, _ = product
    # chDB lets one process open the data: this answer came through `smartlinks up`.
    csv = _sql(running, "SELECT count() > 0, 'ok' FROM system.tables", "--format", "CSV")
    assert (csv.returncode, csv.stdout) == (0, '1,"ok"\n'), csv.stderr
    pretty = _sql(running, "SELECT 7 AS seven")
    assert pretty.returncode == 0, pretty.stderr
    assert "seven" in pretty.stdout and "7" in pretty.stdout and "┌" in pretty.stdout
    lines = _sql(running, "SELECT number FROM numbers(2)", "--format", "JSONEachRow")
    assert [json.loads(line) for line in lines.stdout.splitlines()] == [{"number": 0}, {"number": 1}]
    refused = _sql(running, "INSERT INTO clicks (link_id) VALUES ('x')")
    assert refused.returncode == 1
    assert "Code: 164" in refused.stderr and "readonly" in refused.stderr


def test_smartlinks_sql_without_a_running_process(tmp_path: Path) -> None:
    env_dir = tmp_path / "data"
    process, running = start(env_dir)
    stop(process)
    # Stopped: the data is opened here, read-only.
    alone = _sql(running, "SELECT count() FROM clicks", "--format", "CSV")
    assert (alone.returncode, alone.stdout) == (0, "0\n"), alone.stderr
    refused = _sql(running, "DROP TABLE clicks")
    assert refused.returncode == 1 and "Code: 164" in refused.stderr
    nothing = subprocess.run(
        [*SMARTLINKS, "sql", "SELECT 1"],
        env={**running.env, "SMARTLINKS_DATA_DIR": str(tmp_path / "empty")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert nothing.returncode == 2
    assert "smartlinks up is not running" in nothing.stderr


def test_a_query_stops_at_the_timeout(product: tuple[Running, int]) -> None:
    endless = b"SELECT sum(cityHash64(number)) FROM numbers(100000000000)"
    started = time.monotonic()
    answer = httpx.post(
        f"http://127.0.0.1:{product[1]}/", content=endless, auth=("analyst", PASSWORD), timeout=30
    )
    assert answer.status_code == 500
    assert answer.headers["x-clickhouse-exception-code"] == "159"  # TIMEOUT_EXCEEDED
    assert time.monotonic() - started < 10


def test_no_password_no_port_and_a_data_directory_deeper_than_a_socket_path_allows(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "data"
    assert len(str(deep / "analyst.sock")) > 107  # bind() would refuse this path
    port = free_port()
    process, running = start(deep, SMARTLINKS_ANALYST_PORT=str(port))
    try:
        # Without SMARTLINKS_ANALYST_PASSWORD nothing listens on the analyst port.
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/ping")
        answer = _sql(running, "SELECT 42", "--format", "CSV")
        assert (answer.returncode, answer.stdout) == (0, "42\n"), answer.stderr
        # Answered by the process: a second chDB on this data would be refused.
        assert (deep / "analyst.sock").exists()
    finally:
        stop(process)
    assert not (deep / "analyst.sock").exists()
