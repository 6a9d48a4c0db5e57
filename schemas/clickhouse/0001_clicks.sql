-- Raw clicks: one row per click, never a raw IP. Ordered by (tenant, link, time) so one
-- link's clicks are a contiguous range; event_id last makes the key unique and lets the
-- click log page by (ts, event_id).
--
-- visitor_prev_ts / visitor_prev_country_ts: when this visitor last clicked this link
-- (in the same country for the second), 1970-01-01 for a first click, and 0 for bots.
-- The sink fills them from link_visitors. "Distinct visitors in [s, e)" is then a count:
-- a visitor's first click inside a range is the only one whose previous click is
-- before s, so uniques need no per-query hash set (see api/analytics/query.py).
CREATE TABLE IF NOT EXISTS clicks{on_cluster}
(
    event_id UUID,
    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    tenant_id LowCardinality(String),
    link_id String,
    code String,
    campaign LowCardinality(String),
    contact_id String,
    method LowCardinality(String),
    kind Enum8('unique' = 1, 'repeat' = 2, 'bot' = 3),
    is_bot Bool,
    bot_kind LowCardinality(String),
    country FixedString(2),
    region LowCardinality(String),
    city LowCardinality(String),
    latitude Nullable(Float32),
    longitude Nullable(Float32),
    device LowCardinality(String),
    browser LowCardinality(String),
    browser_version LowCardinality(String),
    os LowCardinality(String),
    os_version LowCardinality(String),
    referrer_host LowCardinality(String),
    visitor_id String,
    visitor_prev_ts DateTime64(3, 'UTC') CODEC(ZSTD(1)),
    visitor_prev_country_ts DateTime64(3, 'UTC') CODEC(ZSTD(1))
)
ENGINE = {replicated}MergeTree({keeper:clicks})
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant_id, link_id, ts, event_id);

-- Every human visitor of a link, per country: what the sink asks "has this visitor
-- clicked this link before, and when last?" in one indexed query per batch. Also handy
-- for analysts (first/last seen, clicks per visitor).
CREATE TABLE IF NOT EXISTS link_visitors{on_cluster}
(
    tenant_id LowCardinality(String),
    link_id String,
    visitor_id String,
    country FixedString(2),
    first_ts SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_ts SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    clicks SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {replicated}AggregatingMergeTree({keeper:link_visitors})
ORDER BY (tenant_id, link_id, visitor_id, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS link_visitors_mv{on_cluster} TO link_visitors AS
SELECT
    tenant_id,
    link_id,
    visitor_id,
    country,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    count() AS clicks
FROM clicks
WHERE NOT is_bot
GROUP BY tenant_id, link_id, visitor_id, country;
