-- The campaign funnel: sqlite/0006_conversion_tracking.sql for PostgreSQL. Tenants:
-- whether new links track conversions, the query parameter the click id goes under and
-- how far back a conversion without one looks for a click. Links: whether the redirect
-- appends the click id. API keys: secret (everything) or publishable (conversions from a
-- web page only), and old keys are secret. A constant default makes each ADD COLUMN a
-- catalogue change, with no rewrite of the table.
ALTER TABLE tenants
    ADD COLUMN conversion_tracking BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN click_id_param TEXT NOT NULL DEFAULT 'sl_click',
    ADD COLUMN attribution_window_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE links ADD COLUMN conversion_tracking BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE api_keys ADD COLUMN kind TEXT NOT NULL DEFAULT 'secret' CHECK (kind IN ('secret', 'publishable'));
