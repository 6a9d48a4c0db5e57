-- Link metadata mirrored from the link store, so analysts can join names and campaigns.
-- The newest updated_at wins (read with FINAL or argMax); deleted links stay as rows
-- with deleted = 1 and no clicks.
CREATE TABLE IF NOT EXISTS links{on_cluster}
(
    tenant_id LowCardinality(String),
    link_id String,
    code String,
    destination_url String,
    title String,
    campaign LowCardinality(String),
    contact_id String,
    expires_at Nullable(DateTime64(3, 'UTC')),
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    deleted UInt8
)
ENGINE = {replicated}ReplacingMergeTree({keeper:links,}updated_at)
ORDER BY (tenant_id, link_id);

-- Deleted links, forever: the sink refuses late or replayed clicks of these links, so a
-- replay of the event log cannot bring a deleted link's analytics back.
CREATE TABLE IF NOT EXISTS deleted_links{on_cluster}
(
    tenant_id LowCardinality(String),
    link_id String,
    deleted_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree({keeper:deleted_links})
ORDER BY (tenant_id, link_id);
