"""The ``smartlinks`` command: run the product, manage tenants, apply migrations."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roles import cli_help
from roles.import_formats import FORMATS as IMPORT_FORMATS
from smartlinks import logs, tenant_admin
from smartlinks.settings import Settings, SettingsError
from smartlinks.store import open_store
from smartlinks.store.link_store import LinkStore

if TYPE_CHECKING:
    from roles.process import Process

DEFAULT_TENANT = "default"
UNIQUE_NAMES = "0012_unique_tenant_names"  # the link-store migration that renames duplicates
ROLES = frozenset({"redirector", "api", "consumer"})
PARTS = {
    "redirector": frozenset({"redirector"}),
    "api": frozenset({"api"}),
    "consumer": frozenset({"consumer"}),
    "analytics": frozenset({"api", "consumer"}),
}
PARTS_HELP = {
    "redirector": "serve short links and publish clicks to Kafka",
    "api": "serve the API and the dashboard",
    "consumer": "enrich clicks from Kafka into ClickHouse",
    "analytics": "consumer and API in one process (a single analytics node on chDB)",
}


def _configure_logging(settings: Settings) -> None:
    logs.configure_logging(settings.log_level)


async def _with_store(settings: Settings) -> LinkStore:
    store = open_store(settings)
    await store.open()  # applies pending migrations
    return store


async def _bootstrap(settings: Settings) -> str | None:
    """Create the default tenant and its first key on the very first start; return the key."""
    store = await _with_store(settings)
    try:
        if await store.count_tenants() > 0:
            return None
        tenant = await store.create_tenant(DEFAULT_TENANT)
        _, key = await store.create_api_key(tenant.id, "first key")
        return key
    finally:
        await store.close()


def build_app(settings: Settings, roles: frozenset[str]) -> Process:
    """The ASGI app of a process running these parts, not yet started. Each builder is
    imported only when its command runs: a redirector loads none of the API's or the
    consumer's modules (nor their ClickHouse client, parsers and HTTP client)."""
    if roles == ROLES:
        from roles import embedded

        return embedded.build(settings)
    if roles == PARTS["redirector"]:
        from roles import redirector

        return redirector.build(settings)
    if roles == PARTS["api"]:
        from roles import api

        return api.build(settings)
    if roles == PARTS["consumer"]:
        from roles import consumer

        return consumer.build(settings)
    if roles == PARTS["analytics"]:
        from roles import analytics

        return analytics.build(settings)
    raise ValueError(f"no process runs the parts {sorted(roles)}")


def _serve(settings: Settings, roles: frozenset[str]) -> None:
    import math

    import uvicorn

    from smartlinks import http_server

    app = build_app(settings, roles)
    limits = http_server.limits_for(settings.header_timeout, settings.body_timeout, settings.max_connections)
    connections = http_server.ConnectionTable(limits)
    app.registry.register(connections.metrics())
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=http_server.http_protocol(connections),  # httptools, with deadlines and a cap
        ws="none",
        backlog=limits.backlog,
        # An idle keep-alive connection ends with the header deadline, not uvicorn's 5 s.
        timeout_keep_alive=math.ceil(settings.header_timeout),
        log_config=logs.uvicorn_log_config(settings.log_level),  # uvicorn's lines as JSON too
        access_log=False,
        lifespan="on",
        proxy_headers=False,  # X-Forwarded-For is judged by our own trusted-proxy list
        server_header=False,
    )


def cmd_up(settings: Settings) -> int:
    key = asyncio.run(_bootstrap(settings))
    base = settings.base_url
    print(f"Smart Links is running (embedded mode, data in {settings.data_dir.resolve()})")
    print(f"  short links: {base}/<code>")
    print(f"  API:         {base}/api/v1   (OpenAPI: {base}/api/v1/openapi.json)")
    print(f"  dashboard:   {base}/dashboard")
    if key:
        print("  API key of the default tenant (shown once, keep it):")
        print(f"  {key}")
    sys.stdout.flush()
    _serve(settings, ROLES)
    return 0


def _require_shared_clickhouse(settings: Settings, roles: frozenset[str]) -> None:
    """A consumer or an API without the other half in its process must share a ClickHouse
    server with it: on a chDB of its own, a consumer would take its share of the group's
    clicks into a store no API reads, and an API would show no clicks at all. ``analytics``
    runs both halves in one process, so chDB serves it (the single analytics node)."""
    if roles & {"api", "consumer"} and not roles >= {"api", "consumer"} and not settings.clickhouse_url:
        part = " + ".join(sorted(roles))
        raise SettingsError(
            f"SMARTLINKS_CLICKHOUSE_URL is required by `smartlinks {part}`: the consumer and the API "
            "must share one ClickHouse server (`smartlinks analytics` runs both on chDB in one process)"
        )


def cmd_part(settings: Settings, roles: frozenset[str]) -> int:
    """One or two parts as a service of their own (the distributed deployment)."""
    _require_shared_clickhouse(settings, roles)
    if "api" in roles:
        key = asyncio.run(_bootstrap(settings))
        if key:
            print(f"API key of the default tenant (shown once, keep it):\n{key}")
    names = " + ".join(sorted(roles))
    kafka = settings.kafka_bootstrap_servers
    print(f"smartlinks {names} on http://{settings.host}:{settings.port} (Kafka {kafka})")
    sys.stdout.flush()
    _serve(settings, roles)
    return 0


async def _renames(settings: Settings) -> list[tuple[str, str, str]]:
    store = await _with_store(settings)
    try:
        return await store.tenant_renames()
    finally:
        await store.close()


def _chdb_in_use(settings: Settings) -> bool:
    """Whether a running process holds the data directory's chDB (which allows one process):
    its status file is locked (flock), as chDB's server does it. Asked before connecting,
    so the operator reads one line instead of chDB's "Cannot lock file" traceback."""
    if settings.clickhouse_url:
        return False
    status = settings.data_dir / "clickhouse" / "status"
    if not status.exists():
        return False
    with status.open("rb") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(file, fcntl.LOCK_UN)
    return False


def cmd_migrate(settings: Settings) -> int:
    from smartlinks import clickhouse

    if _chdb_in_use(settings):
        print(
            f"smartlinks: stop smartlinks up first: a running process holds the ClickHouse data in"
            f" {settings.data_dir / 'clickhouse'} (it applies the migrations itself when it starts)",
            file=sys.stderr,
        )
        return 1

    def report(what: str, applied: list[str]) -> None:
        print(f"{what}: {len(applied)} migration(s) applied" + (f": {', '.join(applied)}" if applied else ""))

    applied = asyncio.run(open_store(settings).migrate())
    report("link store", applied)
    if UNIQUE_NAMES in applied:  # said once, when it happens (`tenant list` says it too)
        tenant_admin.print_renames(asyncio.run(_renames(settings)))
    client = clickhouse.connect(settings.clickhouse_dsn, settings.clickhouse_database)
    try:
        report("ClickHouse", clickhouse.migrate(client, cluster=settings.clickhouse_cluster))
    finally:
        client.close()
    return 0


def cmd_demo(settings: Settings, tenant: str, days: int, clicks: int, seed: int) -> int:
    # With Kafka the demo only publishes: the chDB of the directory is the consumers' own.
    if not settings.kafka_bootstrap_servers and _chdb_in_use(settings):
        print(
            f"smartlinks: stop smartlinks up first: a running process holds the ClickHouse data in"
            f" {settings.data_dir / 'clickhouse'} (the demo runs the consumer itself; start it again after)",
            file=sys.stderr,
        )
        return 1
    from roles.demo import run

    return run(settings, tenant, days, clicks, seed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smartlinks", description="Short links with click analytics.")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str, parent: Any = commands, env: str | None = None) -> Any:
        """A subcommand whose --help ends with the environment variables it reads."""
        return parent.add_parser(
            name,
            help=help_text,
            description=help_text[:1].upper() + help_text[1:] + ".",
            epilog=cli_help.epilog(env or name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    command("up", "run everything in one process (embedded mode)")
    for name, help_text in PARTS_HELP.items():
        command(name, help_text)
    command("migrate", "apply link-store and ClickHouse migrations (stop smartlinks up first)")
    tenant = command("tenant", "manage tenants")
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True)
    create = command("create", "create a tenant and print its first API key", tenant_commands, "tenant")
    create.add_argument("name", help="the tenant's name: unique whatever its case, not empty")
    command("list", "list tenants: id, created, live links, active API keys, name", tenant_commands, "tenant")
    key = command("key", "manage API keys")
    key_commands = key.add_subparsers(dest="key_command", required=True)
    key_create = command(
        "create", "create an API key for a tenant (by id or name) and print it, e.g. after losing all",
        key_commands, "key",
    )  # fmt: skip
    key_create.add_argument("tenant", help="the tenant's id or name")
    key_create.add_argument(
        "--read-only", action="store_true", help="a key that may only read (GET and HEAD), e.g. for reports"
    )
    importing = command(
        "import",
        "import links from a CSV file (csv, or the exports of Shlink, YOURLS or Bitly) into a tenant",
    )
    importing.add_argument("file", type=Path, help="the CSV file")
    importing.add_argument("--tenant", required=True, help="the tenant's id or name")
    importing.add_argument(
        "--format", choices=IMPORT_FORMATS, default="csv", help="the file's format (default csv)"
    )
    importing.add_argument(
        "--report", type=Path, help="where to write the per-row report (default: FILE.report.csv if needed)"
    )
    demo = command(
        "demo",
        "fill a demo tenant: links, a campaign with per-contact links, 90 days of clicks through"
        " the real pipeline (stop smartlinks up first)",
    )
    demo.add_argument("--tenant", default="demo", help="the demo tenant's name (default demo)")
    demo.add_argument("--days", type=int, default=90, help="days of clicks, up to now (default 90)")
    demo.add_argument("--clicks", type=int, default=40_000, help="about how many clicks (default 40000)")
    demo.add_argument("--seed", type=int, default=1, help="the same seed draws the same visitors (default 1)")
    check = command(
        "check-analytics",
        "compare the rollups and lifetime counts with the raw clicks; --repair rebuilds what differs",
    )
    check.add_argument(
        "--repair",
        action="store_true",
        help="rebuild the differing buckets from the raw clicks (stop the consumers first)",
    )
    check.add_argument(
        "--from", dest="start", help="a UTC date (YYYY-MM-DD) or RFC 3339 time; default: all time"
    )
    check.add_argument("--to", dest="end", help="a UTC date (included) or RFC 3339 time; default: all time")
    sql = command("sql", "run a read-only ClickHouse query (through `smartlinks up` while it runs)")
    sql.add_argument("query", help='e.g. "SELECT count() FROM clicks"')
    sql.add_argument(
        "--format", default="PrettyCompact", help="any ClickHouse output format: CSV, JSONEachRow, ..."
    )
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"smartlinks: configuration error: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    if args.command == "up":
        return cmd_up(settings)
    if args.command in PARTS:
        try:
            return cmd_part(settings, PARTS[args.command])
        except SettingsError as exc:
            print(f"smartlinks: configuration error: {exc}", file=sys.stderr)
            return 2
    if args.command == "migrate":
        return cmd_migrate(settings)
    if args.command == "tenant" and args.tenant_command == "create":
        return tenant_admin.cmd_tenant_create(settings, args.name)
    if args.command == "tenant" and args.tenant_command == "list":
        return tenant_admin.cmd_tenant_list(settings)
    if args.command == "key" and args.key_command == "create":
        return tenant_admin.cmd_key_create(
            settings, args.tenant, scope="read_only" if args.read_only else "full"
        )
    if args.command == "import":
        from roles.importer import run

        return run(settings, args.file, args.tenant, args.format, args.report)
    if args.command == "demo":
        return cmd_demo(settings, args.tenant, args.days, args.clicks, args.seed)
    if args.command == "check-analytics":
        from roles.check_analytics import cmd_check_analytics

        return cmd_check_analytics(settings, args.repair, args.start, args.end)
    if args.command == "sql":
        from smartlinks.analyst_cli import cmd_sql

        return cmd_sql(settings, args.query, args.format)
    parser.error("unknown command")
    return 2


if __name__ == "__main__":
    sys.exit(main())
