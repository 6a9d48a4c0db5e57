"""``smartlinks check-analytics`` as an operator runs it: real processes on a real data
directory, damaged the way a consumer killed mid-insert damages it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.product import SMARTLINKS, env_for, start, stop

ROOT = Path(__file__).resolve().parents[2]

# Stores 30 clicks in one hour while the hourly rollup's view is detached (chDB allows one
# process per data directory, so this runs as a process of its own, then exits).
DAMAGE = """
from consumer.ingest import ClickIngest
from smartlinks.clickhouse import connect, migrate
from smartlinks.settings import Settings
from tests.clickhouse.truth import click

settings = Settings.from_env()
client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
migrate(client)
t0 = 1_746_100_800_000  # 2025-05-01 12:00 UTC
client.command("DETACH TABLE clicks_hourly_mv")
ClickIngest(client).insert([click(t0 + n * 1000, f"v{n % 7}") for n in range(30)])
client.command("ATTACH TABLE clicks_hourly_mv")
"""


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SMARTLINKS, "check-analytics", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_check_analytics_reports_then_repairs_a_damaged_rollup(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data")
    subprocess.run([sys.executable, "-c", DAMAGE], env=env, cwd=ROOT, check=True, timeout=120)

    found = check(env)
    assert found.returncode == 1, found.stderr
    lines = found.stdout.splitlines()
    assert lines[0].split() == ["table", "tenant", "link", "bucket", "expected", "found"]
    assert lines[1].split()[0] == "clicks_hourly"
    assert lines[1].split()[3:] == ["2025-05-01", "12:00:00", "30", "0"]
    assert "--repair" in lines[-1]
    assert check(env, "--from", "2025-05-02").returncode == 0  # after the damaged hour

    repaired = check(env, "--repair", "--from", "2025-05-01", "--to", "2025-05-01T13:00:00Z")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "Repaired: 1 bucket(s)" in repaired.stdout
    again = check(env)
    assert again.returncode == 0, again.stdout
    assert again.stdout.startswith("Analytics agree with the raw clicks")


def test_check_analytics_asks_to_stop_smartlinks_up_first(tmp_path: Path) -> None:
    process, running = start(tmp_path / "data")
    try:
        result = check(running.env)
    finally:
        stop(process)
    assert result.returncode == 2
    assert "in use by another process" in result.stderr
    assert "Stop `smartlinks up`" in result.stderr
    # Stopped, the same data directory checks fine.
    assert check(running.env).returncode == 0


def test_check_analytics_without_data_or_with_a_bad_time(tmp_path: Path) -> None:
    env = env_for(tmp_path / "nothing")
    missing = check(env)
    assert missing.returncode == 2
    assert "no ClickHouse data" in missing.stderr
    assert not (tmp_path / "nothing").exists()  # checking created nothing
    bad = check(env, "--from", "last week")
    assert bad.returncode == 2
    assert "--from must be a date" in bad.stderr
