-- The campaign funnel beside the clicks: deliveries (from the messaging platform's
-- delivery reports) and conversions (from the site), one row per event the API accepted,
-- written by the consumer from the smartlinks.events topic (embedded: the API's event log).
--
-- Both are read per tenant and campaign over a time range (GET .../funnel), so that is
-- their order; `id` (the sender's, unique per tenant) ends the key. The consumer looks
-- events up by id before inserting (a resent id is counted once), and by contact for the
-- contact view: bloom filters on those skip the granules without them.
CREATE TABLE IF NOT EXISTS deliveries{on_cluster}
(
    tenant_id LowCardinality(String),
    campaign LowCardinality(String),
    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    id String,
    contact_id String,
    message_id String,
    received_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    INDEX id_bloom id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX contact_id_bloom contact_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {replicated}MergeTree({keeper:deliveries})
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant_id, campaign, ts, id);

-- `attribution` says how the conversion found its click: by the click id the site sent
-- back (`click_id`), as the contact's last human click on the campaign within the
-- tenant's window (`last_click`), or not at all (`sent`: the campaign and contact as the
-- sender gave them). Deleting a link clears the click and link of the conversions it
-- carried (they keep their campaign and contact, as sent). Country and device are kept
-- for browser conversions of tenants that collect metadata, never a raw IP.
CREATE TABLE IF NOT EXISTS conversions{on_cluster}
(
    tenant_id LowCardinality(String),
    campaign LowCardinality(String),
    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    id String,
    name LowCardinality(String),
    contact_id String,
    link_id String,
    click_id String,
    click_ts DateTime64(3, 'UTC') CODEC(ZSTD(1)),
    attribution Enum8('click_id' = 1, 'last_click' = 2, 'sent' = 3),
    value Decimal(18, 4),
    currency LowCardinality(String),
    country FixedString(2),
    device LowCardinality(String),
    browser LowCardinality(String),
    os LowCardinality(String),
    received_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    INDEX id_bloom id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX contact_id_bloom contact_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX link_id_bloom link_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {replicated}MergeTree({keeper:conversions})
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant_id, campaign, ts, id);

-- Each contact's human clicks on a campaign's links, per hour: the "clicked" step of a
-- campaign's funnel reads the campaign's contacts here instead of every click of the
-- tenant (clicks are ordered by link, and a campaign of 100,000 contacts has as many links).
CREATE TABLE IF NOT EXISTS campaign_contacts_hourly{on_cluster}
(
    tenant_id LowCardinality(String),
    campaign LowCardinality(String),
    hour DateTime('UTC'),
    contact_id String,
    link_id String,
    first_ts SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    clicks SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {replicated}AggregatingMergeTree({keeper:campaign_contacts_hourly})
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant_id, campaign, hour, contact_id, link_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS campaign_contacts_hourly_mv{on_cluster} TO campaign_contacts_hourly AS
SELECT
    tenant_id,
    campaign,
    toStartOfHour(ts) AS hour,
    contact_id,
    link_id,
    min(ts) AS first_ts,
    count() AS clicks
FROM clicks
WHERE NOT is_bot AND campaign != '' AND contact_id != ''
GROUP BY tenant_id, campaign, hour, contact_id, link_id;
