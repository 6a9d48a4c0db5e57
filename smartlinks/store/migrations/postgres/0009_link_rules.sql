-- Link rules: sqlite/0009_link_rules.sql for PostgreSQL. TEXT rather than JSONB: the store
-- never looks inside, and the text comes back byte for byte as it was written.
ALTER TABLE links ADD COLUMN rules TEXT;
