-- The transactional outbox of link changes: each create/update/delete (and tenant settings
-- change) writes its row in the same transaction as the change itself, so a change can
-- never be committed and then lost before caches and the analytics side hear of it.
-- A relay publishes rows in seq order and deletes them once published.
CREATE TABLE link_outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    link_id   TEXT NOT NULL,
    code      TEXT NOT NULL,
    at        INTEGER NOT NULL
);
