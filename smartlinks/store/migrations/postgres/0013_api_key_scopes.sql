-- API key scopes: a secret key may do everything (full) or only read (read_only: GET and
-- HEAD). Keys made before scopes did everything, so they are full. A constant default
-- keeps the ADD COLUMN a catalogue change, with no rewrite of the table.
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'full' CHECK (scope IN ('full', 'read_only'));
