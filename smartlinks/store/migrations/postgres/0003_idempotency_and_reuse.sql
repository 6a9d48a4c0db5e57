-- Responses kept for Idempotency-Key: a retried request (same tenant and key) gets the
-- stored response instead of creating its links again. Written in the same transaction
-- as the links it describes, so a crash leaves either both or neither.
CREATE TABLE idempotency_keys (
    tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    key          TEXT COLLATE "C" NOT NULL,
    request_hash TEXT NOT NULL,   -- a retry must send the same body
    status       INTEGER NOT NULL,
    body         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Message rewriting reuses the link of a destination for the same campaign and contact.
-- A B-tree entry must stay under ~2.7 kB and destinations reach 4096 characters, so the
-- index holds a hash of the destination; queries compare the URL itself too.
CREATE INDEX links_reuse ON links (tenant_id, md5(destination_url)) WHERE deleted_at IS NULL;
