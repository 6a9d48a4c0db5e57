-- Rollups, filled by materialized views on every insert into clicks. An analytics page
-- reads these (tens of thousands of rows at most) instead of millions of raw clicks.
--
-- Unique visitors are sums here, not hash sets: a human click starts a visit in a range
-- beginning at hour s when the visitor's previous click is before s (see 0001). So the
-- visitor tables count human clicks by the hour of that previous click, and a query sums
-- the rows with prev_hour < s. Exact for ranges and buckets that start on whole UTC
-- hours (every zone with a whole-hour offset); the rest is answered from raw clicks.

-- Per link and UTC hour: clicks and bots. The time series, totals and lifetime counts.
CREATE TABLE IF NOT EXISTS clicks_hourly{on_cluster}
(
    tenant_id LowCardinality(String),
    link_id String,
    hour DateTime('UTC'),
    clicks SimpleAggregateFunction(sum, UInt64),
    bots SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {replicated}AggregatingMergeTree({keeper:clicks_hourly})
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant_id, link_id, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS clicks_hourly_mv{on_cluster} TO clicks_hourly AS
SELECT
    tenant_id,
    link_id,
    toStartOfHour(ts) AS hour,
    count() AS clicks,
    countIf(is_bot) AS bots
FROM clicks
GROUP BY tenant_id, link_id, hour;

-- Human clicks per link and UTC hour, by the hour of the visitor's previous click on the
-- link (1970 for a first click): unique visitors of the range and of each bucket.
CREATE TABLE IF NOT EXISTS visitors_hourly{on_cluster}
(
    tenant_id LowCardinality(String),
    link_id String,
    hour DateTime('UTC'),
    prev_hour DateTime('UTC'),
    visits SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {replicated}AggregatingMergeTree({keeper:visitors_hourly})
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant_id, link_id, hour, prev_hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS visitors_hourly_mv{on_cluster} TO visitors_hourly AS
SELECT
    tenant_id,
    link_id,
    toStartOfHour(ts) AS hour,
    toStartOfHour(visitor_prev_ts) AS prev_hour,
    count() AS visits
FROM clicks
WHERE NOT is_bot
GROUP BY tenant_id, link_id, hour, prev_hour;

-- The same per country, by the previous click from that country: unique visitors per
-- country. Most returns come within hours, so rows are split by `recent` (previous
-- click within the 48 hours before `hour`): a recent return cannot start a visit in a
-- range that began more than 48 hours earlier, so a query reads the recent rows of the
-- range's first 48 hours only, and the few other rows for the whole range.
CREATE TABLE IF NOT EXISTS country_visitors_hourly{on_cluster}
(
    tenant_id LowCardinality(String),
    link_id String,
    recent Bool,
    hour DateTime('UTC'),
    country FixedString(2),
    prev_hour DateTime('UTC'),
    visits SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {replicated}AggregatingMergeTree({keeper:country_visitors_hourly})
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant_id, link_id, recent, hour, country, prev_hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS country_visitors_hourly_mv{on_cluster} TO country_visitors_hourly AS
SELECT
    tenant_id,
    link_id,
    prev_hour >= hour - toIntervalHour(48) AS recent,
    toStartOfHour(ts) AS hour,
    country,
    toStartOfHour(visitor_prev_country_ts) AS prev_hour,
    count() AS visits
FROM clicks
WHERE NOT is_bot
GROUP BY tenant_id, link_id, recent, hour, country, prev_hour;

-- Per link, UTC day and dimension value: one generic table (and one view) for every
-- breakdown instead of seven, so an insert feeds one extra view and a page reads all
-- breakdowns in one query. `country` is the click's country for country and city rows
-- (a city name is ambiguous without it) and empty otherwise; `value` is empty for
-- country rows; locations are "lat,lon" rounded to 0.1 degree (about 11 km), enough
-- for a world map. api/analytics/sql.py derives the same rows from raw clicks (for the
-- partial days at the ends of a range); tests check that both give the same figures.
CREATE TABLE IF NOT EXISTS clicks_daily_dims{on_cluster}
(
    tenant_id LowCardinality(String),
    link_id String,
    day Date,
    dimension LowCardinality(String),
    country FixedString(2),
    value LowCardinality(String),
    clicks SimpleAggregateFunction(sum, UInt64),
    bots SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {replicated}AggregatingMergeTree({keeper:clicks_daily_dims})
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, link_id, day, dimension, country, value);

CREATE MATERIALIZED VIEW IF NOT EXISTS clicks_daily_dims_mv{on_cluster} TO clicks_daily_dims AS
SELECT
    tenant_id,
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
    SELECT tenant_id, link_id, toDate(ts) AS day, is_bot, arrayJoin([
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
GROUP BY tenant_id, link_id, day, dimension, country, value;
