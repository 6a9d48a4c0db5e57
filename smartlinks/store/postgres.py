"""The link store on PostgreSQL: the distributed mode (see ``postgres_database``)."""

from __future__ import annotations

from smartlinks.store.link_store import LinkStore
from smartlinks.store.postgres_database import PostgresDatabase


class PostgresLinkStore(LinkStore):
    def __init__(self, dsn: str, min_connections: int = 2, max_connections: int = 10) -> None:
        super().__init__(PostgresDatabase(dsn, min_connections, max_connections))
        self.dsn = dsn
