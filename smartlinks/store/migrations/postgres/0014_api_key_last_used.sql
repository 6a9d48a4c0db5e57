-- When each API key was last used (milliseconds since the epoch, like every time here),
-- to the minute: each API process writes a key's time at most once a minute
-- (smartlinks/store/key_use.py). NULL: never used, which every key made before is
-- taken to be.
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
