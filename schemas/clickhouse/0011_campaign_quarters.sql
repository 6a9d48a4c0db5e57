-- Rollups in campaign order and by the quarter hour, for the two pages the rollups of 0002
-- served slowly (and campaign_daily_dims in place of clicks_daily_dims):
--
-- - A campaign's page: its links were picked out of the per-link rollups by a list of
--   link ids (10,000 for a campaign sent to 10,000 contacts), and ClickHouse spends
--   30-50 ms per statement on such a list whatever the rows. Here a campaign is a key
--   range (tenant, campaign). A click's campaign is its link's, fixed when the link was
--   made, so these rows hold the clicks of the campaign's links; they keep link_id, so
--   deleting a link removes its rows (CLICK_DATA_TABLES) and the per-link table and the
--   rebuilds of consumer/reconcile.py work as on the other rollups.
-- - A link's page in a zone whose offset is not whole hours (Asia/Kolkata +05:30,
--   Asia/Kathmandu +05:45): its hour and day boundaries fall on quarter hours of UTC,
--   which the hourly rollups cannot split. A link's rows here are (tenant, campaign,
--   link), under the campaign the link store gives it. Whole-hour zones keep the hourly
--   rollups: 7.6 times fewer rows for a busy link (69,000 against 524,000 for 5M clicks).
--
-- Unique visitors as in 0002 (see there and 0001), a quarter wide: human clicks by the
-- quarter of the visitor's previous click on the link, so "prev < s" is
-- "prev_quarter < s" for any s on a quarter hour. visitors_quarter counts the bots of a
-- quarter beside its humans (a bot has no previous click: prev_quarter 1970-01-01).
--
-- Each table is filled from the clicks stored so far as it is created (CREATE ... AS
-- SELECT), then its view takes over; clicks inserted between the two would be missed, so
-- migrate before the consumers start (`smartlinks migrate`, as every role does first).
-- Filled at most once:
-- - a rerun (a migration stopped half-way, two roles migrating at once) finds the table
--   and does nothing (IF NOT EXISTS), where a separate INSERT would count the stored
--   clicks twice;
-- - ON CLUSTER each replica of a shard runs the same statement into one replicated
--   table: the fill is sorted by the table's key, so the replicas of a shard (same
--   clicks) insert the same blocks, and the replicated table keeps the first copy of
--   each block only (insert deduplication, on by default for replicated tables).
CREATE TABLE IF NOT EXISTS visitors_quarter{on_cluster}
(
    tenant_id LowCardinality(String),
    campaign LowCardinality(String),
    link_id String,
    quarter DateTime('UTC'),
    prev_quarter DateTime('UTC'),
    visits SimpleAggregateFunction(sum, UInt64),
    bots SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {replicated}AggregatingMergeTree({keeper:visitors_quarter})
PARTITION BY toYYYYMM(quarter)
ORDER BY (tenant_id, campaign, link_id, quarter, prev_quarter)
AS SELECT tenant_id, campaign, link_id, toStartOfFifteenMinutes(ts) AS quarter,
    toStartOfFifteenMinutes(visitor_prev_ts) AS prev_quarter,
    toUInt64(countIf(NOT is_bot)) AS visits, toUInt64(countIf(is_bot)) AS bots
FROM clicks
GROUP BY tenant_id, campaign, link_id, quarter, prev_quarter
ORDER BY tenant_id, campaign, link_id, quarter, prev_quarter;

CREATE MATERIALIZED VIEW IF NOT EXISTS visitors_quarter_mv{on_cluster} TO visitors_quarter AS
SELECT tenant_id, campaign, link_id, toStartOfFifteenMinutes(ts) AS quarter,
    toStartOfFifteenMinutes(visitor_prev_ts) AS prev_quarter,
    countIf(NOT is_bot) AS visits, countIf(is_bot) AS bots
FROM clicks
GROUP BY tenant_id, campaign, link_id, quarter, prev_quarter;

-- Per country, by the previous click from that country, split by `recent` as in 0002
-- (previous click within the 48 hours before the quarter).
CREATE TABLE IF NOT EXISTS country_visitors_quarter{on_cluster}
(
    tenant_id LowCardinality(String),
    campaign LowCardinality(String),
    link_id String,
    recent Bool,
    quarter DateTime('UTC'),
    country FixedString(2),
    prev_quarter DateTime('UTC'),
    visits SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {replicated}AggregatingMergeTree({keeper:country_visitors_quarter})
PARTITION BY toYYYYMM(quarter)
ORDER BY (tenant_id, campaign, link_id, recent, quarter, country, prev_quarter)
AS SELECT tenant_id, campaign, link_id, prev_quarter >= quarter - toIntervalHour(48) AS recent,
    toStartOfFifteenMinutes(ts) AS quarter, country,
    toStartOfFifteenMinutes(visitor_prev_country_ts) AS prev_quarter, toUInt64(count()) AS visits
FROM clicks
WHERE NOT is_bot
GROUP BY tenant_id, campaign, link_id, recent, quarter, country, prev_quarter
ORDER BY tenant_id, campaign, link_id, recent, quarter, country, prev_quarter;

CREATE MATERIALIZED VIEW IF NOT EXISTS country_visitors_quarter_mv{on_cluster} TO country_visitors_quarter AS
SELECT tenant_id, campaign, link_id, prev_quarter >= quarter - toIntervalHour(48) AS recent,
    toStartOfFifteenMinutes(ts) AS quarter, country,
    toStartOfFifteenMinutes(visitor_prev_country_ts) AS prev_quarter, count() AS visits
FROM clicks
WHERE NOT is_bot
GROUP BY tenant_id, campaign, link_id, recent, quarter, country, prev_quarter;

-- The breakdowns (clicks_daily_dims of 0002) in campaign order, in its place: a link's rows
-- are (tenant, campaign, link), as in the quarter tables; a campaign's are a key range. It
-- replaces clicks_daily_dims rather than standing beside it because its view is the
-- costliest on an insert (each click is one row per dimension): 6 µs of CPU per click, about
-- as much as all the other views together. Links without a campaign are under ''. Ordered
-- as clicks_daily_dims after the campaign: days first (tenant, campaign, day, ...) would
-- let a long campaign's page skip its other days, but took 50 % more space (311 MB
-- against 211 for 20M clicks).
CREATE TABLE IF NOT EXISTS campaign_daily_dims{on_cluster}
(
    tenant_id LowCardinality(String),
    campaign LowCardinality(String),
    link_id String,
    day Date,
    dimension LowCardinality(String),
    country FixedString(2),
    value LowCardinality(String),
    clicks SimpleAggregateFunction(sum, UInt64),
    bots SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {replicated}AggregatingMergeTree({keeper:campaign_daily_dims})
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, campaign, link_id, day, dimension, country, value)
AS SELECT tenant_id, campaign, link_id, day, tupleElement(dim, 1) AS dimension, tupleElement(dim, 2) AS country,
    tupleElement(dim, 3) AS value, toUInt64(count()) AS clicks, toUInt64(countIf(is_bot)) AS bots
FROM
(
    SELECT tenant_id, campaign, link_id, toDate(ts) AS day, is_bot, arrayJoin([
        ('country', country, ''),
        ('city', country, city),
        ('location', toFixedString('', 2), if(latitude IS NULL OR longitude IS NULL, '', concat(
            toString(round(assumeNotNull(latitude), 1)), ',', toString(round(assumeNotNull(longitude), 1))))),
        ('browser', toFixedString('', 2), browser),
        ('platform', toFixedString('', 2), device),
        ('os', toFixedString('', 2), os),
        ('referrer', toFixedString('', 2), referrer_host)
    ]) AS dim
    FROM clicks
)
GROUP BY tenant_id, campaign, link_id, day, dimension, country, value
ORDER BY tenant_id, campaign, link_id, day, dimension, country, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS campaign_daily_dims_mv{on_cluster} TO campaign_daily_dims AS
SELECT
    tenant_id,
    campaign,
    link_id,
    day,
    tupleElement(dim, 1) AS dimension,
    tupleElement(dim, 2) AS country,
    tupleElement(dim, 3) AS value,
    count() AS clicks,
    countIf(is_bot) AS bots
FROM
(
    -- A subquery, so the output alias `country` does not shadow the column inside the array.
    SELECT tenant_id, campaign, link_id, toDate(ts) AS day, is_bot, arrayJoin([
        ('country', country, ''),
        ('city', country, city),
        ('location', toFixedString('', 2), if(latitude IS NULL OR longitude IS NULL, '', concat(
            toString(round(assumeNotNull(latitude), 1)), ',', toString(round(assumeNotNull(longitude), 1))))),
        ('browser', toFixedString('', 2), browser),
        ('platform', toFixedString('', 2), device),
        ('os', toFixedString('', 2), os),
        ('referrer', toFixedString('', 2), referrer_host)
    ]) AS dim
    FROM clicks
)
GROUP BY tenant_id, campaign, link_id, day, dimension, country, value;

-- The table it replaces: the view first, so no insert feeds a dropped table.
DROP VIEW IF EXISTS clicks_daily_dims_mv{on_cluster};

DROP TABLE IF EXISTS clicks_daily_dims{on_cluster};
