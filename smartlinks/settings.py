"""Typed settings read once from ``SMARTLINKS_*`` environment variables.

Defaults give the embedded mode: one process, SQLite and chDB in the data directory, the
edge log read in-process. Every variable is listed (with its default) in the README; the
table there is generated from ``VARIABLES`` so the two cannot drift.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PREFIX = "SMARTLINKS_"
REDIRECT_STATUSES = (301, 302, 307, 308)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A cluster as named in the server's <remote_servers>; quoted into DDL, so nothing that needs escaping.
_CLUSTER_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class SettingsError(ValueError):
    """A configuration value is malformed; raised at start so a bad deployment fails fast."""


# name (without prefix), default as written in the environment, description
VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("HOST", "127.0.0.1", "Interface the HTTP server binds to."),
    ("PORT", "8080", "Port of the HTTP server (`up`, `redirector`, `api`)."),
    ("DATA_DIR", "./data", "Where SQLite, chDB data, the edge log and the deployment key live."),
    ("PUBLIC_URL", "", "Base URL of short links, e.g. `https://sl.example`; default `http://HOST:PORT`."),
    ("DATABASE_URL", "", "Link store; empty means SQLite at `DATA_DIR/links.sqlite3`."),
    ("REDIRECT_STATUS", "302", "Status of redirects: 301, 302, 307 or 308."),
    ("FORWARD_QUERY", "true", "Forward the short URL's query parameters to the destination."),
    ("TRUSTED_PROXIES", "", "Comma-separated CIDRs whose `X-Forwarded-For` is believed."),
    ("SECRET_KEY", "", "Key for visitor hashes; empty means generated once into `DATA_DIR/secret.key`."),
    ("LINK_CACHE_SIZE", "100000", "Links each redirector keeps in memory."),
    ("LINK_CACHE_TTL", "300", "Seconds a cached link is trusted without hearing of a change."),
    ("NEGATIVE_CACHE_TTL", "5", "Seconds an unknown code is remembered as unknown."),
    ("EVENT_LOG_DIR", "", "Folder of the edge log of clicks not yet handed on; empty: `DATA_DIR/events`."),
    ("EVENT_FSYNC_MS", "1000", "Sync the edge log to disk every N ms; `0`: before redirects are answered."),
    ("KAFKA_BOOTSTRAP_SERVERS", "", "Kafka brokers (`host:port,...`); empty: everything in one process."),
    ("KAFKA_CLICK_PARTITIONS", "6", "Partitions of `smartlinks.clicks` when the services create it."),
    ("CONSUMER_GROUP", "smartlinks-consumer", "Kafka consumer group of the click consumers."),
    ("CLICKHOUSE_URL", "", "ClickHouse server URL; empty means chDB in `DATA_DIR/clickhouse`."),
    ("CLICKHOUSE_DATABASE", "smartlinks", "ClickHouse database of the clicks, rollups and links mirror."),
    ("CLICKHOUSE_CLUSTER", "", "ClickHouse cluster: DDL `ON CLUSTER`, replicated tables; empty: one server."),
    ("GEOIP_DB", "", "A MaxMind-format City database; empty means the bundled DB-IP City Lite."),
    ("CONSUMER_BATCH_SIZE", "10000", "Most click events the consumer inserts in one batch."),
    ("CONSUMER_MAX_WAIT_MS", "500", "Longest a click waits in the consumer before its batch is inserted."),
    ("LOG_LEVEL", "info", "Log level: debug, info, warning, error."),
    ("HEADER_TIMEOUT", "5", "Seconds for a request's headers, from connect or the previous response."),
    ("BODY_TIMEOUT", "10", "Seconds a request body may pause before the request gets a 408."),
    ("MAX_CONNECTIONS", "", "Open connections per process; empty: the open-file limit less a reserve."),
    ("WEBHOOK_ALLOW_PRIVATE", "false", "Allow webhook URLs on loopback, private and link-local addresses."),
    ("WEBHOOK_RETRY_BASE", "10", "Seconds before a failed webhook delivery is retried; doubles each time."),
    ("WEBHOOK_RETRY_FOR", "86400", "Seconds a webhook delivery is retried; failing that long disables it."),
)


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, not {raw!r}")


def _parse_int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{PREFIX}{name} must be at least {minimum}, not {value}")
    return value


def _parse_seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value < float("inf"):
        raise SettingsError(f"{PREFIX}{name} must be more than 0 seconds, not {raw!r}")
    return value


def _parse_networks(name: str, raw: str) -> tuple[IPNetwork, ...]:
    networks = []
    for part in raw.split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise SettingsError(f"{PREFIX}{name}: {part.strip()!r} is not a CIDR") from None
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    public_url: str = ""
    database_url: str = ""
    redirect_status: int = 302
    forward_query: bool = True
    trusted_proxies: tuple[IPNetwork, ...] = ()
    secret_key: str = ""
    link_cache_size: int = 100_000
    link_cache_ttl: float = 300.0
    negative_cache_ttl: float = 5.0
    event_log_dir: Path | None = None
    event_fsync_ms: int = 1000
    kafka_bootstrap_servers: str = ""
    kafka_click_partitions: int = 6
    consumer_group: str = "smartlinks-consumer"
    clickhouse_url: str = ""
    clickhouse_database: str = "smartlinks"
    clickhouse_cluster: str = ""
    geoip_db: str = ""
    consumer_batch_size: int = 10_000
    consumer_max_wait: float = 0.5
    log_level: str = "info"
    header_timeout: float = 5.0
    body_timeout: float = 10.0
    max_connections: int | None = None  # None: derived from the open-file limit (smartlinks.http_server)
    webhook_allow_private: bool = False
    webhook_retry_base: float = 10.0
    webhook_retry_for: float = 86_400.0

    @property
    def base_url(self) -> str:
        """Base of short URLs, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "links.sqlite3"

    @property
    def event_log_path(self) -> Path:
        return self.event_log_dir if self.event_log_dir is not None else self.data_dir / "events"

    @property
    def clickhouse_dsn(self) -> str:
        """Where ClickHouse is: the configured server, or chDB in the data directory."""
        if self.clickhouse_url:
            return self.clickhouse_url
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        raw = {name: env.get(PREFIX + name, default) for name, default, _ in VARIABLES}

        status = _parse_int("REDIRECT_STATUS", raw["REDIRECT_STATUS"])
        if status not in REDIRECT_STATUSES:
            raise SettingsError(f"{PREFIX}REDIRECT_STATUS must be one of {REDIRECT_STATUSES}, not {status}")
        public_url = raw["PUBLIC_URL"].strip()
        if public_url and not public_url.startswith(("http://", "https://")):
            raise SettingsError(f"{PREFIX}PUBLIC_URL must start with http:// or https://")
        log_level = raw["LOG_LEVEL"].strip().lower()
        if log_level not in ("debug", "info", "warning", "error"):
            raise SettingsError(f"{PREFIX}LOG_LEVEL must be debug, info, warning or error")
        cluster = raw["CLICKHOUSE_CLUSTER"].strip()
        if cluster and not _CLUSTER_NAME.fullmatch(cluster):
            raise SettingsError(f"{PREFIX}CLICKHOUSE_CLUSTER must be letters, digits, _ - and .: {cluster!r}")
        if cluster and not raw["CLICKHOUSE_URL"].strip():
            # chDB is one process on one machine: there is no cluster to run DDL on.
            raise SettingsError(f"{PREFIX}CLICKHOUSE_CLUSTER needs a server in {PREFIX}CLICKHOUSE_URL")
        return cls(
            host=raw["HOST"],
            port=_parse_int("PORT", raw["PORT"]),
            data_dir=Path(raw["DATA_DIR"]),
            public_url=public_url,
            database_url=raw["DATABASE_URL"].strip(),
            redirect_status=status,
            forward_query=_parse_bool("FORWARD_QUERY", raw["FORWARD_QUERY"]),
            trusted_proxies=_parse_networks("TRUSTED_PROXIES", raw["TRUSTED_PROXIES"]),
            secret_key=raw["SECRET_KEY"],
            link_cache_size=_parse_int("LINK_CACHE_SIZE", raw["LINK_CACHE_SIZE"], minimum=1),
            link_cache_ttl=float(_parse_int("LINK_CACHE_TTL", raw["LINK_CACHE_TTL"], minimum=1)),
            negative_cache_ttl=float(_parse_int("NEGATIVE_CACHE_TTL", raw["NEGATIVE_CACHE_TTL"])),
            event_log_dir=Path(raw["EVENT_LOG_DIR"]) if raw["EVENT_LOG_DIR"].strip() else None,
            event_fsync_ms=_parse_int("EVENT_FSYNC_MS", raw["EVENT_FSYNC_MS"]),
            kafka_bootstrap_servers=raw["KAFKA_BOOTSTRAP_SERVERS"].strip(),
            kafka_click_partitions=_parse_int("KAFKA_CLICK_PARTITIONS", raw["KAFKA_CLICK_PARTITIONS"], 1),
            consumer_group=raw["CONSUMER_GROUP"].strip(),
            clickhouse_url=raw["CLICKHOUSE_URL"].strip(),
            clickhouse_database=raw["CLICKHOUSE_DATABASE"].strip(),
            clickhouse_cluster=cluster,
            geoip_db=raw["GEOIP_DB"].strip(),
            consumer_batch_size=_parse_int("CONSUMER_BATCH_SIZE", raw["CONSUMER_BATCH_SIZE"], minimum=1),
            consumer_max_wait=_parse_int("CONSUMER_MAX_WAIT_MS", raw["CONSUMER_MAX_WAIT_MS"], 1) / 1000,
            log_level=log_level,
            header_timeout=_parse_seconds("HEADER_TIMEOUT", raw["HEADER_TIMEOUT"]),
            body_timeout=_parse_seconds("BODY_TIMEOUT", raw["BODY_TIMEOUT"]),
            max_connections=(
                _parse_int("MAX_CONNECTIONS", raw["MAX_CONNECTIONS"], minimum=1)
                if raw["MAX_CONNECTIONS"].strip()
                else None
            ),
            webhook_allow_private=_parse_bool("WEBHOOK_ALLOW_PRIVATE", raw["WEBHOOK_ALLOW_PRIVATE"]),
            webhook_retry_base=_parse_seconds("WEBHOOK_RETRY_BASE", raw["WEBHOOK_RETRY_BASE"]),
            webhook_retry_for=_parse_seconds("WEBHOOK_RETRY_FOR", raw["WEBHOOK_RETRY_FOR"]),
        )

    def load_secret_key(self) -> bytes:
        """The deployment key for keyed hashes: configured, or generated once into the data dir."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(os.urandom(32).hex().encode())
            tmp.chmod(0o600)
            # rename is atomic: two processes starting together end with one key.
            if not path.exists():
                tmp.replace(path)
            else:
                tmp.unlink()
        return path.read_bytes().strip()
