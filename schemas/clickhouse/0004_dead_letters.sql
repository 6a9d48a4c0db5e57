-- Events the consumer could not decode or enrich, with the reason, kept 30 days for
-- diagnosis. The sink blanks the client IP in JSON payloads before storing them.
CREATE TABLE IF NOT EXISTS dead_letters{on_cluster}
(
    received_at DateTime64(3, 'UTC'),
    reason LowCardinality(String),
    detail String,
    payload String
)
ENGINE = {replicated}MergeTree({keeper:dead_letters})
PARTITION BY toYYYYMM(received_at)
ORDER BY received_at
TTL toDateTime(received_at) + INTERVAL 30 DAY;
