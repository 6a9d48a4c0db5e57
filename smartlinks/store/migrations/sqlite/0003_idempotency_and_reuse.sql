-- Responses kept for Idempotency-Key: a retried request (same tenant and key) gets the
-- stored response instead of creating its links again. Written in the same transaction
-- as the links it describes, so a crash leaves either both or neither.
CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,   -- a retry must send the same body
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Message rewriting reuses the link of a destination for the same campaign and contact.
CREATE INDEX links_reuse ON links (tenant_id, destination_url, campaign, contact_id) WHERE deleted_at IS NULL;
