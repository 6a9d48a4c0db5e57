"""What each ``smartlinks`` subcommand's ``--help`` says about the environment: the
``SMARTLINKS_*`` variables it reads, each with its description from the settings (one
source: smartlinks/settings.py), so an operator need not open the README to configure it."""

from __future__ import annotations

from smartlinks.settings import PREFIX, VARIABLES

_DESCRIPTIONS = {name: description for name, _, description in VARIABLES}
_HTTP = ("HOST", "PORT", "PUBLIC_URL", "TRUSTED_PROXIES", "HEADER_TIMEOUT", "BODY_TIMEOUT", "MAX_CONNECTIONS")
_STORE = ("DATA_DIR", "DATABASE_URL")
_CLICKHOUSE = ("CLICKHOUSE_URL", "CLICKHOUSE_DATABASE", "CLICKHOUSE_CLUSTER")
_WEBHOOKS = ("WEBHOOK_ALLOW_PRIVATE", "WEBHOOK_RETRY_BASE", "WEBHOOK_RETRY_FOR")
_REDIRECTOR = (
    *_HTTP, *_STORE, "SECRET_KEY", "HOME_URL", "REDIRECT_STATUS", "FORWARD_QUERY", "LINK_CACHE_SIZE",
    "LINK_CACHE_TTL", "NEGATIVE_CACHE_TTL", "EVENT_LOG_DIR", "EVENT_FSYNC_MS", "GEOIP_DB",
    "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_CLICK_PARTITIONS", "LOG_LEVEL",
)  # fmt: skip
_API = (*_HTTP, *_STORE, "SECRET_KEY", *_CLICKHOUSE, "EVENT_FSYNC_MS", "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_CLICK_PARTITIONS", *_WEBHOOKS, "LOG_LEVEL")  # fmt: skip
_CONSUMER = (
    "HOST", "PORT", "PUBLIC_URL", *_STORE, *_CLICKHOUSE, "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_CLICK_PARTITIONS",
    "CONSUMER_GROUP", "CONSUMER_BATCH_SIZE", "CONSUMER_MAX_WAIT_MS", "ENRICH_WORKERS", "GEOIP_DB",
    *_WEBHOOKS, "LOG_LEVEL",
)  # fmt: skip

READS: dict[str, tuple[str, ...]] = {
    "up": tuple(_DESCRIPTIONS),  # every part in one process: every setting
    "redirector": _REDIRECTOR,
    "api": _API,
    "consumer": _CONSUMER,
    "analytics": (*_API, *_CONSUMER, "ANALYST_PASSWORD", "ANALYST_PORT", "ANALYST_QUERY_TIMEOUT"),
    "migrate": (*_STORE, *_CLICKHOUSE),
    "tenant": _STORE,
    "key": _STORE,
    "check-analytics": ("DATA_DIR", *_CLICKHOUSE),
    "import": _STORE,
    "demo": (
        *_STORE,
        "SECRET_KEY",
        "PUBLIC_URL",
        *_CLICKHOUSE,
        "GEOIP_DB",
        "EVENT_FSYNC_MS",
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_CLICK_PARTITIONS",
        "CONSUMER_GROUP",
        "LOG_LEVEL",
    ),
    "sql": ("DATA_DIR", *_CLICKHOUSE, "ANALYST_QUERY_TIMEOUT"),
}


def epilog(command: str) -> str:
    """The environment section of ``command``'s help, variables in settings order."""
    wanted = set(READS[command])
    names = [name for name in _DESCRIPTIONS if name in wanted]
    width = max(len(PREFIX + name) for name in names)
    lines = [f"  {PREFIX + name:<{width}}  {_DESCRIPTIONS[name]}" for name in names]
    return "environment variables read (empty or unset: the default):\n" + "\n".join(lines)
