-- The transactional outbox of link changes: sqlite/0002_link_outbox.sql for PostgreSQL.
-- Each create/update/delete (and tenant settings change) writes its row in the same
-- transaction as the change itself, so a change can never be committed and then lost
-- before caches and the analytics side hear of it. A relay publishes rows in seq order and
-- deletes them once published.
--
-- Unlike SQLite, PostgreSQL runs writers side by side: seq is drawn when the row is
-- inserted, not when it commits, so a relay may see seq 11 before seq 10 is committed.
-- Nothing is lost (relays delete the seqs they published, never "everything below n"),
-- and changes to one link or one tenant stay in order because each such write holds that
-- row's lock from before its outbox insert until its commit.
CREATE TABLE link_outbox (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind      TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    link_id   TEXT NOT NULL,
    code      TEXT NOT NULL,
    at        BIGINT NOT NULL
);
