from __future__ import annotations

import ipaddress
from pathlib import Path

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
        }
    )
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
        ("LINK_CACHE_SIZE", "0"),
        ("LOG_LEVEL", "loud"),
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
