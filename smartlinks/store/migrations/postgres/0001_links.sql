-- Tenants, their API keys (only a hash is kept) and links: sqlite/0001_links.sql for
-- PostgreSQL. Times are Unix milliseconds (UTC) in BIGINT, so both engines hand the models
-- the same numbers. Ids are time-ordered (UUIDv7 hex), so ORDER BY id is creation order and
-- "newest first" needs no separate index on created_at. Ids and codes use the "C"
-- collation whatever the database's default: byte order for the id cursor, and plain
-- byte equality for codes, which are case-sensitive.
CREATE TABLE tenants (
    id               TEXT COLLATE "C" PRIMARY KEY,
    name             TEXT NOT NULL,
    collect_metadata BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT COLLATE "C" PRIMARY KEY,
    tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

CREATE TABLE links (
    id              TEXT COLLATE "C" PRIMARY KEY,
    tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    -- The store tells a taken code from other conflicts by this constraint's name.
    code            TEXT COLLATE "C" NOT NULL CONSTRAINT links_code_key UNIQUE,
    destination_url TEXT NOT NULL,
    location        TEXT NOT NULL,         -- destination as an ASCII Location header value
    title           TEXT,
    expires_at      BIGINT,
    campaign        TEXT,
    contact_id      TEXT,
    search_text     TEXT NOT NULL,         -- casefolded title + URL for search
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    deleted_at      BIGINT
);
CREATE INDEX links_tenant_live ON links (tenant_id, id) WHERE deleted_at IS NULL;
CREATE INDEX links_tenant_campaign ON links (tenant_id, campaign, id) WHERE deleted_at IS NULL;
