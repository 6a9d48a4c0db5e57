-- Link rules (smartlinks/rules.py): click limit, expired URL, password hash, targets and
-- variants as one JSON document, NULL for a plain link. Read whole with the link and by
-- the redirector with the code; never searched, so one column and no index.
ALTER TABLE links ADD COLUMN rules TEXT;
