-- A conversion may name its click by id (the sl_click parameter). Clicks are ordered by
-- link, so a click id alone could be anywhere in the tenant's range: a bloom filter per
-- granule on event_id skips the granules without it. Built for older parts in the
-- background.
ALTER TABLE clicks{on_cluster}
    ADD INDEX IF NOT EXISTS event_id_bloom event_id TYPE bloom_filter(0.01) GRANULARITY 1;

ALTER TABLE clicks{on_cluster}
    MATERIALIZE INDEX IF EXISTS event_id_bloom;
