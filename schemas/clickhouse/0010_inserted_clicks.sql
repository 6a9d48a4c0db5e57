-- The clicks whose insert finished, every materialized view included: the sink writes a
-- batch's event ids here once its insert into clicks has returned. A redelivered event
-- found in clicks and here needs nothing; one found in clicks only was stored by an
-- insert cut off before its end, and the rollup cells it touches are compared with
-- clicks and rebuilt (consumer/dedup.py). Without this record every redelivered batch
-- paid for that comparison, about 100 µs per event.
--
-- Kept 30 days after the insert, longer than a Kafka topic keeps a redelivery: an event
-- redelivered after that is compared again, which is slower but as exact. (After the
-- insert, not the click: a backfill of old clicks must not expire at once.)
CREATE TABLE IF NOT EXISTS inserted_clicks{on_cluster}
(
    event_id UUID,
    inserted_at DateTime('UTC')
)
ENGINE = {replicated}MergeTree({keeper:inserted_clicks})
ORDER BY event_id
TTL inserted_at + INTERVAL 30 DAY;
