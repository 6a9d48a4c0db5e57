-- Dashboard sessions signed out before they expired. A session cookie is signed, not
-- stored, so signing out has to be remembered here, where every API process sees it
-- and a restart keeps it; a row is needed only until the cookie would have expired.
CREATE TABLE revoked_sessions (
    id         TEXT PRIMARY KEY,   -- the cookie's random session id
    expires_at INTEGER NOT NULL    -- ms since the epoch: when the cookie stops working anyway
);
CREATE INDEX revoked_sessions_expires ON revoked_sessions (expires_at);
