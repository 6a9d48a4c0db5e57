"""The webhook settings: defaults and parsing. Malformed values, refused at start, are in
tests/core/test_settings.py with every other variable's."""

from __future__ import annotations

from smartlinks.settings import Settings


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
