-- Tags and a tenant's own domains.
--
-- A link may live on one of its tenant's domains (go.acme.com) instead of the default one,
-- and the same code may exist on several domains: a code is unique per domain, with ''
-- for the default domain (NOT NULL, so the unique index treats it as a value: NULLs would
-- all differ). SQLite cannot drop the inline UNIQUE of 0001 on code, so the table is
-- rebuilt: every column and row is copied, and every index made again. Nothing else
-- refers to links by a foreign key.
CREATE TABLE links_rebuilt (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id),
    code                TEXT NOT NULL,         -- binary collation: codes are case-sensitive
    destination_url     TEXT NOT NULL,
    location            TEXT NOT NULL,         -- destination as an ASCII Location header value
    title               TEXT,
    expires_at          INTEGER,
    campaign            TEXT,
    contact_id          TEXT,
    search_text         TEXT NOT NULL,         -- casefolded title + URL for search
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    deleted_at          INTEGER,
    conversion_tracking INTEGER NOT NULL DEFAULT 0,
    rules               TEXT,                      -- 0009: JSON, NULL for a plain link
    tags                TEXT NOT NULL DEFAULT '',  -- as given, one a line
    domain              TEXT NOT NULL DEFAULT ''   -- host name, '' for the default domain
);
INSERT INTO links_rebuilt (
    id, tenant_id, code, destination_url, location, title, expires_at, campaign, contact_id,
    search_text, created_at, updated_at, deleted_at, conversion_tracking, rules
)
SELECT
    id, tenant_id, code, destination_url, location, title, expires_at, campaign, contact_id,
    search_text, created_at, updated_at, deleted_at, conversion_tracking, rules
FROM links;
DROP TABLE links;
ALTER TABLE links_rebuilt RENAME TO links;
-- Code first: the redirector looks codes up whatever their domain, on this index alone.
CREATE UNIQUE INDEX links_code_domain ON links (code, domain);
CREATE INDEX links_tenant_live ON links (tenant_id, id) WHERE deleted_at IS NULL;
CREATE INDEX links_tenant_campaign ON links (tenant_id, campaign, id) WHERE deleted_at IS NULL;
CREATE INDEX links_by_contact ON links (tenant_id, contact_id, campaign) WHERE deleted_at IS NULL;
CREATE INDEX links_reuse ON links (tenant_id, destination_url, campaign, contact_id) WHERE deleted_at IS NULL;
-- Whether a domain still has live links (it cannot be deleted then).
CREATE INDEX links_on_domain ON links (domain) WHERE deleted_at IS NULL AND domain <> '';

-- A link's tags, one row each, for the list's filter and a tag's analytics: newest link
-- first straight from the primary key. tag is casefolded (what a filter matches), label
-- as the link has it. A deleted link's rows are deleted with it.
CREATE TABLE link_tags (
    tenant_id TEXT NOT NULL,
    tag       TEXT NOT NULL,
    link_id   TEXT NOT NULL,
    label     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, tag, link_id)
) WITHOUT ROWID;
CREATE INDEX link_tags_link ON link_tags (link_id);

-- A tenant's own domains; a host belongs to one tenant at a time. A deleted domain's row
-- goes: another tenant may add the host later (the codes of the old links stay taken).
CREATE TABLE domains (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    host          TEXT NOT NULL UNIQUE,
    not_found_url TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX domains_tenant ON domains (tenant_id, id);

-- Which domain a link change is about ('' the default), so caches drop the right entry.
ALTER TABLE link_outbox ADD COLUMN domain TEXT NOT NULL DEFAULT '';
