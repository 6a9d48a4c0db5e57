-- Tenants, their API keys (only a hash is kept) and links.
-- Times are Unix milliseconds (UTC). Ids are time-ordered (UUIDv7 hex), so ORDER BY id
-- is creation order and "newest first" needs no separate index on created_at.
CREATE TABLE tenants (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    collect_metadata INTEGER NOT NULL DEFAULT 1,
    created_at       INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

CREATE TABLE links (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    code            TEXT NOT NULL UNIQUE,  -- binary collation: codes are case-sensitive
    destination_url TEXT NOT NULL,
    location        TEXT NOT NULL,         -- destination as an ASCII Location header value
    title           TEXT,
    expires_at      INTEGER,
    campaign        TEXT,
    contact_id      TEXT,
    search_text     TEXT NOT NULL,         -- casefolded title + URL for search
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    deleted_at      INTEGER
);
CREATE INDEX links_tenant_live ON links (tenant_id, id) WHERE deleted_at IS NULL;
CREATE INDEX links_tenant_campaign ON links (tenant_id, campaign, id) WHERE deleted_at IS NULL;
