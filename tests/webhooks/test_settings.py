"""The webhook settings: defaults, parsing, and malformed values refused at start."""

from __future__ import annotations

import pytest

from smartlinks.settings import Settings, SettingsError


def test_defaults_refuse_private_urls_and_retry_for_a_day() -> None:
    settings = Settings.from_env({})
    assert (settings.webhook_allow_private, settings.webhook_retry_base, settings.webhook_retry_for) == (
        False, 10.0, 86_400.0
    )  # fmt: skip


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "SMARTLINKS_WEBHOOK_ALLOW_PRIVATE": "true",
            "SMARTLINKS_WEBHOOK_RETRY_BASE": "0.25",
            "SMARTLINKS_WEBHOOK_RETRY_FOR": "3600",
        }
    )
    assert (settings.webhook_allow_private, settings.webhook_retry_base, settings.webhook_retry_for) == (
        True, 0.25, 3600.0
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEBHOOK_ALLOW_PRIVATE", "sometimes"),
        ("WEBHOOK_RETRY_BASE", "0"),
        ("WEBHOOK_RETRY_BASE", "soon"),
        ("WEBHOOK_RETRY_FOR", "-5"),
        ("WEBHOOK_RETRY_FOR", "inf"),
        ("WEBHOOK_RETRY_FOR", "nan"),
    ],
)
def test_bad_values_fail_fast(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"SMARTLINKS_{name}"):
        Settings.from_env({f"SMARTLINKS_{name}": value})
