"""What each role must not load: the other parts, and the libraries only they use
(ClickHouse's client, the user-agent and crawler parsers, the webhooks' HTTP client, QR
codes). tests/roles/test_role_imports.py holds every role to it; bench/role_startup.py
reports which of these each role imports."""

from __future__ import annotations

NOT_LOADED = {
    "redirector": {
        "api",
        "consumer",
        "clickhouse_connect",
        "chdb",
        "ua_parser",
        "crawlerdetect",
        "httpx",
        "segno",
    },
    "api": {"consumer", "redirector", "ua_parser", "crawlerdetect", "httpx"},
    "consumer": {"api", "redirector", "segno"},
    "analytics": {"redirector"},
}
# Loaded by the roles that talk to them, whichever they are: worth seeing in the bench.
CLIENTS = {"aiokafka", "psycopg"}
