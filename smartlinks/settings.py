"""Typed settings read once from ``SMARTLINKS_*`` environment variables.

Each setting is declared once, as a field of ``Settings``: its type, default, bounds and
description (msgspec ``Meta``). Reading the environment, the errors that name the
variable, and ``VARIABLES`` (the README's table) all come from those fields.

Defaults give the embedded mode: one process, SQLite and chDB in the data directory, the
edge log read in-process.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import msgspec

PREFIX = "SMARTLINKS_"
REDIRECT_STATUSES = (301, 302, 307, 308)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Booleans as people write them; msgspec itself reads true/false and 1/0.
_BOOLEAN_WORDS = {"yes": "true", "on": "true", "no": "false", "off": "false"}
_BOUND = re.compile(r"Expected `\w+` ([<>]=? [^ ]+)")
_REASONS = {bool: "must be true or false", int: "must be an integer", float: "must be a number of seconds"}
# A float bound msgspec accepts (it refuses inf): seconds beyond it are a typo.
_FOREVER = 1e12


class SettingsError(ValueError):
    """A configuration value is malformed; raised at start so a bad deployment fails fast."""


def _doc(description: str, hint: str = "", parse: Callable[[str], Any] | None = None, **bounds: Any) -> Any:
    """A setting's ``Meta``: the README's description, the bounds msgspec checks, what an
    error says the value must be (``hint``), and ``parse`` for a value with a syntax of its
    own in the environment (a list of CIDRs)."""
    extra = {key: value for key, value in (("hint", hint), ("parse", parse)) if value}
    return msgspec.Meta(description=description, extra=extra, **bounds)


def _networks(raw: str) -> tuple[IPNetwork, ...]:
    networks = []
    for part in filter(None, (part.strip() for part in raw.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not a CIDR") from None
    return tuple(networks)


_Seconds = Annotated[float, msgspec.Meta(gt=0, le=_FOREVER)]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: Annotated[str, _doc("Interface the HTTP server binds to.")] = "127.0.0.1"
    port: Annotated[int, _doc("Port of the HTTP server (`up`, `redirector`, `api`).", ge=0, le=65535)] = 8080
    data_dir: Annotated[Path, _doc("Where SQLite, chDB data, the edge log and the deployment key live.")] = (
        Path("data")
    )
    public_url: Annotated[
        str,
        _doc(
            "Base URL of short links, e.g. `https://sl.example`; default `http://HOST:PORT`.",
            hint="must start with http:// or https://",
            pattern=r"^(https?://.*)?$",
        ),
    ] = ""
    home_url: Annotated[
        str,
        _doc(
            "Where `/` redirects (302); empty: the dashboard when the API runs in the same "
            "process, else a 404.",
            hint="must start with http:// or https://, or /",
            pattern=r"^((https?://|/).*)?$",
        ),
    ] = ""
    database_url: Annotated[str, _doc("Link store; empty means SQLite at `DATA_DIR/links.sqlite3`.")] = ""
    redirect_status: Annotated[
        Literal[301, 302, 307, 308],
        _doc("Status of redirects: 301, 302, 307 or 308.", hint=f"must be one of {REDIRECT_STATUSES}"),
    ] = 302
    forward_query: Annotated[bool, _doc("Forward the short URL's query parameters to the destination.")] = (
        True
    )
    trusted_proxies: Annotated[
        tuple[IPNetwork, ...],
        _doc("Comma-separated CIDRs whose `X-Forwarded-For` is believed.", parse=_networks),
    ] = ()
    secret_key: Annotated[
        str, _doc("Key for visitor hashes; empty means generated once into `DATA_DIR/secret.key`.")
    ] = ""
    link_cache_size: Annotated[int, _doc("Links each redirector keeps in memory.", ge=1)] = 100_000
    link_cache_ttl: Annotated[
        float, _doc("Seconds a cached link is trusted without hearing of a change.", ge=1, le=_FOREVER)
    ] = 300.0
    negative_cache_ttl: Annotated[
        float, _doc("Seconds an unknown code is remembered as unknown.", ge=0, le=_FOREVER)
    ] = 5.0
    event_log_dir: Annotated[
        Path | None, _doc("Folder of the edge log of clicks not yet handed on; empty: `DATA_DIR/events`.")
    ] = None
    event_fsync_ms: Annotated[
        int, _doc("Sync the edge log to disk every N ms; `0`: before redirects are answered.", ge=0)
    ] = 1000
    kafka_bootstrap_servers: Annotated[
        str, _doc("Kafka brokers (`host:port,...`); empty: everything in one process.")
    ] = ""
    kafka_click_partitions: Annotated[
        int, _doc("Partitions of `smartlinks.clicks` when the services create it.", ge=1)
    ] = 6
    consumer_group: Annotated[str, _doc("Kafka consumer group of the click consumers.")] = (
        "smartlinks-consumer"
    )
    clickhouse_url: Annotated[
        str, _doc("ClickHouse server URL; empty means chDB in `DATA_DIR/clickhouse`.")
    ] = ""
    clickhouse_database: Annotated[
        str, _doc("ClickHouse database of the clicks, rollups and links mirror.")
    ] = "smartlinks"
    clickhouse_cluster: Annotated[
        str,
        _doc(
            "ClickHouse cluster: DDL `ON CLUSTER`, replicated tables; empty: one server.",
            # Quoted into DDL, so nothing that needs escaping.
            hint="must be letters, digits, _ - and .",
            pattern=r"^[A-Za-z0-9_.-]*$",
        ),
    ] = ""
    analyst_password: Annotated[
        str,
        _doc(
            "Password of user `analyst` on the ClickHouse HTTP interface a chDB process serves "
            "read-only on `ANALYST_PORT`; empty: not served (`smartlinks sql` still works)."
        ),
    ] = ""
    analyst_port: Annotated[
        int, _doc("Port of the analysts' ClickHouse HTTP interface, on `HOST`.", ge=0, le=65535)
    ] = 8123
    analyst_query_timeout: Annotated[
        _Seconds, _doc("Longest an analyst's query runs (ClickHouse's `max_execution_time`).")
    ] = 30.0
    geoip_db: Annotated[
        str, _doc("A MaxMind-format City database; empty means the bundled DB-IP City Lite.")
    ] = ""
    consumer_batch_size: Annotated[
        int, _doc("Most click events the consumer inserts in one batch.", ge=1)
    ] = 10_000
    consumer_max_wait_ms: Annotated[
        int, _doc("Longest a click waits in the consumer before its batch is inserted.", ge=1)
    ] = 500
    consumer_click_wait: Annotated[
        float,
        _doc(
            "Seconds after its click a conversion waits for a `click_id` the consumer has not "
            "stored yet, before it is attributed without it; `0`: no wait.",
            ge=0,
            le=_FOREVER,
        ),
    ] = 600.0
    enrich_workers: Annotated[
        str,
        _doc(
            "Processes that decode and enrich clicks for `up` and `consumer`: `auto` (one when "
            "more than one CPU is usable), `0` (in the consumer's own process) or `1`.",
            hint="must be auto, 0 or 1",
            pattern=r"^(auto|0|1)$",
        ),
    ] = "auto"
    log_level: Annotated[
        Literal["debug", "info", "warning", "error"],
        _doc("Log level: debug, info, warning, error.", hint="must be debug, info, warning or error"),
    ] = "info"
    header_timeout: Annotated[
        _Seconds, _doc("Seconds for a request's headers, from connect or the previous response.")
    ] = 5.0
    body_timeout: Annotated[
        _Seconds, _doc("Seconds a request body may pause before the request gets a 408.")
    ] = 10.0
    max_connections: Annotated[
        Annotated[int, msgspec.Meta(ge=1)] | None,
        _doc("Open connections per process; empty: the open-file limit less a reserve."),
    ] = None
    webhook_allow_private: Annotated[
        bool, _doc("Allow webhook URLs on loopback, private and link-local addresses.")
    ] = False
    webhook_retry_base: Annotated[
        _Seconds, _doc("Seconds before a failed webhook delivery is retried; doubles each time.")
    ] = 10.0
    webhook_retry_for: Annotated[
        _Seconds, _doc("Seconds a webhook delivery is retried; failing that long disables it.")
    ] = 86_400.0

    def __post_init__(self) -> None:
        if self.clickhouse_cluster and not self.clickhouse_url:
            # chDB is one process on one machine: there is no cluster to run DDL on.
            raise SettingsError(f"{PREFIX}CLICKHOUSE_CLUSTER needs a server in {PREFIX}CLICKHOUSE_URL")

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
    def consumer_max_wait(self) -> float:
        """``consumer_max_wait_ms`` in seconds."""
        return self.consumer_max_wait_ms / 1000

    @property
    def clickhouse_dsn(self) -> str:
        """Where ClickHouse is: the configured server, or chDB in the data directory."""
        if self.clickhouse_url:
            return self.clickhouse_url
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of the ``SMARTLINKS_*`` variables in ``environ`` (default: this
        process's); a variable not set, or set empty where the default is empty, keeps the
        default. Raises SettingsError naming the first bad variable."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in msgspec.structs.fields(cls):
            raw = env.get(_variable(field.name))
            if raw is None or (not raw.strip() and field.default in ("", None)):
                continue
            values[field.name] = _read(field, raw.strip())
        return cls(**values)

    def load_secret_key(self) -> bytes:
        """The deployment key for keyed hashes: configured, or generated once into the data dir."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Each process writes its own file and links it into place: os.link fails when
            # the key exists, so of two processes starting together the first one's key
            # wins and the other reads it; nobody reads a half-written key.
            tmp = path.with_name(f".secret.key.{os.getpid()}.{os.urandom(4).hex()}")
            try:
                tmp.write_bytes(os.urandom(32).hex().encode())
                tmp.chmod(0o600)
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        return path.read_bytes().strip()


def _variable(field: str) -> str:
    return PREFIX + field.upper()


def _meta(field: msgspec.structs.FieldInfo) -> dict[str, Any]:
    metas = getattr(field.type, "__metadata__", ())
    return {
        key: value
        for meta in metas
        if isinstance(meta, msgspec.Meta)
        for key, value in (meta.extra or {}).items()
    }


def _read(field: msgspec.structs.FieldInfo, raw: str) -> Any:
    """One variable's value, converted and checked against its field's type and bounds."""
    extra = _meta(field)
    kind = _base(field.type)
    if "parse" in extra:
        try:
            return extra["parse"](raw)
        except ValueError as error:
            raise SettingsError(f"{_variable(field.name)}: {error}") from None
    if kind is bool:
        raw = _BOOLEAN_WORDS.get(raw.lower(), raw)
    elif get_origin(kind) is Literal:
        raw = raw.lower()
    try:
        return msgspec.convert(raw, field.type, strict=False, dec_hook=_path)
    except msgspec.ValidationError as error:
        bound = _BOUND.match(str(error))  # "Expected `int` >= 1 - at `$`"
        reason = extra.get("hint") or (f"must be {bound[1]}" if bound else _REASONS.get(kind, str(error)))
        raise SettingsError(f"{_variable(field.name)} {reason}, not {raw!r}") from None


def _base(kind: Any) -> Any:
    """A field's type without its ``Annotated`` layers."""
    while get_origin(kind) is Annotated:
        kind = get_args(kind)[0]
    return kind


def _path(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError


def _default_text(field: msgspec.structs.FieldInfo) -> str:
    default = field.default
    if default is None:
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, Path):
        return f"./{default}"
    if isinstance(default, tuple):
        return ",".join(map(str, default))
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


# (name without prefix, default as written in the environment, description): the README's table.
VARIABLES: tuple[tuple[str, str, str], ...] = tuple(
    (
        field.name.upper(),
        _default_text(field),
        next(
            meta.description
            for meta in field.type.__metadata__
            if isinstance(meta, msgspec.Meta) and meta.description
        ),
    )
    for field in msgspec.structs.fields(Settings)
)
