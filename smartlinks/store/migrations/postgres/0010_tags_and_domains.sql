-- Tags and a tenant's own domains: sqlite/0010_tags_and_domains.sql for PostgreSQL, where
-- the unique constraint on code is replaced in place (no rebuild). A code is unique per
-- domain, with '' for the default domain; the constraint keeps its name, by which the
-- store tells a taken code from other conflicts. Constant defaults make each ADD COLUMN a
-- catalogue change, with no rewrite of the table.
ALTER TABLE links
    ADD COLUMN tags TEXT NOT NULL DEFAULT '',
    ADD COLUMN domain TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE links DROP CONSTRAINT links_code_key;
-- Code first: the redirector looks codes up whatever their domain, on this index alone.
ALTER TABLE links ADD CONSTRAINT links_code_key UNIQUE (code, domain);
CREATE INDEX links_on_domain ON links (domain) WHERE deleted_at IS NULL AND domain <> '';

CREATE TABLE link_tags (
    tenant_id TEXT COLLATE "C" NOT NULL,
    tag       TEXT COLLATE "C" NOT NULL,
    link_id   TEXT COLLATE "C" NOT NULL,
    label     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, tag, link_id)
);
CREATE INDEX link_tags_link ON link_tags (link_id);

CREATE TABLE domains (
    id            TEXT COLLATE "C" PRIMARY KEY,
    tenant_id     TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    host          TEXT COLLATE "C" NOT NULL UNIQUE,
    not_found_url TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX domains_tenant ON domains (tenant_id, id);

ALTER TABLE link_outbox ADD COLUMN domain TEXT NOT NULL DEFAULT '';
