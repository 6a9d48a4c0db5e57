from __future__ import annotations

import ipaddress
import multiprocessing
from pathlib import Path

import msgspec
import pytest

from smartlinks.settings import VARIABLES, Settings, SettingsError


def test_defaults_are_the_embedded_mode() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.sqlite_path == Path("data/links.sqlite3")
    assert settings.trusted_proxies == ()


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "SMARTLINKS_PORT": "9000",
            "SMARTLINKS_PUBLIC_URL": "https://sl.example/",
            "SMARTLINKS_REDIRECT_STATUS": "308",
            "SMARTLINKS_FORWARD_QUERY": "off",
            "SMARTLINKS_TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::/32",
            "SMARTLINKS_CONSUMER_MAX_WAIT_MS": "250",
            "SMARTLINKS_MAX_CONNECTIONS": "",
            "SMARTLINKS_EVENT_LOG_DIR": "/var/spool/sl",
            "SMARTLINKS_LOG_LEVEL": "DEBUG",
            "SMARTLINKS_HEADER_TIMEOUT": "2.5",
        }
    )
    assert settings.consumer_max_wait == 0.25
    assert settings.max_connections is None  # empty: the default
    assert settings.event_log_path == Path("/var/spool/sl")
    assert settings.log_level == "debug"
    assert settings.header_timeout == 2.5
    assert settings.port == 9000
    assert settings.base_url == "https://sl.example"
    assert settings.redirect_status == 308
    assert settings.forward_query is False
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("2001:db8::/32"),
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("REDIRECT_STATUS", "303"),
        ("FORWARD_QUERY", "maybe"),
        ("TRUSTED_PROXIES", "not-a-network"),
        ("PUBLIC_URL", "ftp://x"),
        ("HOME_URL", "www.example.com"),
        ("LINK_CACHE_SIZE", "0"),
        ("LOG_LEVEL", "loud"),
        ("WEBHOOK_ALLOW_PRIVATE", "sometimes"),
        ("WEBHOOK_RETRY_BASE", "0"),
        ("WEBHOOK_RETRY_BASE", "soon"),
        ("WEBHOOK_RETRY_FOR", "-5"),
        ("WEBHOOK_RETRY_FOR", "inf"),
        ("WEBHOOK_RETRY_FOR", "nan"),
    ],
)
def test_bad_values_fail_fast_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"SMARTLINKS_{name}"):
        Settings.from_env({f"SMARTLINKS_{name}": value})


def test_every_variable_is_in_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name, _, _ in VARIABLES:
        assert f"`SMARTLINKS_{name}`" in readme, name


def test_secret_key_is_generated_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.load_secret_key()
    assert len(first) == 64
    assert settings.load_secret_key() == first
    assert Settings(data_dir=tmp_path, secret_key="configured").load_secret_key() == b"configured"


@pytest.mark.parametrize(
    ("raw", "value"), [("yes", True), ("ON", True), ("1", True), ("no", False), ("Off", False)]
)
def test_booleans_read_as_people_write_them(raw: str, value: bool) -> None:
    assert Settings.from_env({"SMARTLINKS_FORWARD_QUERY": raw}).forward_query is value


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PORT", "70000", "must be <= 65535"),
        ("HEADER_TIMEOUT", "0", "must be > 0"),
        ("MAX_CONNECTIONS", "0", "must be >= 1"),
        ("CLICKHOUSE_CLUSTER", "a b", "must be letters, digits"),
    ],
)
def test_errors_say_what_the_value_must_be(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError, match=f"SMARTLINKS_{name} {says}"):
        Settings.from_env({f"SMARTLINKS_{name}": value, "SMARTLINKS_CLICKHOUSE_URL": "http://ch:8123"})


def test_a_cluster_needs_a_server() -> None:
    with pytest.raises(SettingsError, match="SMARTLINKS_CLICKHOUSE_CLUSTER needs a server"):
        Settings.from_env({"SMARTLINKS_CLICKHOUSE_CLUSTER": "main"})
    assert (
        Settings.from_env(
            {"SMARTLINKS_CLICKHOUSE_CLUSTER": "main", "SMARTLINKS_CLICKHOUSE_URL": "http://ch:8123"}
        ).clickhouse_cluster
        == "main"
    )


def test_every_setting_is_one_variable_with_a_default_and_a_description() -> None:
    names = [name for name, _, _ in VARIABLES]
    assert len(names) == len(set(names)) == len(msgspec.structs.fields(Settings))
    defaults = Settings.from_env({f"SMARTLINKS_{name}": default for name, default, _ in VARIABLES})
    assert defaults == Settings()  # each default, written in the environment, reads back as itself
    assert all(description.endswith(".") for _, _, description in VARIABLES)


def _key_of(data_dir: str) -> bytes:
    return Settings(data_dir=Path(data_dir)).load_secret_key()


def test_processes_starting_together_share_one_secret_key(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        keys = pool.map(_key_of, [str(tmp_path)] * 32)
    assert len(set(keys)) == 1
    assert keys[0] == (tmp_path / "secret.key").read_bytes().strip()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret.key"]  # no leftovers
