-- The A/B variant a click landed on: the variant's destination_url as the link's client
-- sent it (smartlinks/rules.py), '' when the link has no variants or a target decided.
-- Rows written before it read ''. Last, so columns other migrations add stay where they
-- are; the rollups name their columns and are unchanged. IF NOT EXISTS: a run that
-- stopped half-way applies again cleanly.
ALTER TABLE clicks{on_cluster}
    ADD COLUMN IF NOT EXISTS variant LowCardinality(String) DEFAULT '';
