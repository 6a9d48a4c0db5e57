-- Click triggers: webhooks, their deliveries (one per webhook and click) and each
-- delivery's attempts. Times are Unix milliseconds (UTC); ids are time-ordered.
CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,         -- needed in clear to sign every delivery
    events          TEXT NOT NULL,         -- event types, comma-separated
    campaign        TEXT,                  -- only clicks of this campaign (NULL: any)
    link_id         TEXT,                  -- only clicks of this link (NULL: any)
    include_bots    INTEGER NOT NULL DEFAULT 0,
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    last_success_at INTEGER,              -- or when last enabled: failures before it are forgiven
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

-- The unique (webhook, event) pair makes a click that reaches the consumer twice (a
-- redelivered batch) one delivery; its id, in the body, is what receivers de-duplicate by.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    tenant_id       TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    type            TEXT NOT NULL,
    payload         BLOB NOT NULL,         -- the exact body of every attempt
    status          TEXT NOT NULL,         -- pending | delivered | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER,               -- pending: when due (or when a worker's lease ends)
    lease           TEXT,                  -- the claim of the worker making an attempt
    finished_at     INTEGER,               -- when delivered or given up
    UNIQUE (webhook_id, event_id)
);
-- Due work: any at all (a cheap poll), and the oldest few of each webhook (a claim).
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (created_at);

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,          -- 1 for the first attempt
    at          INTEGER NOT NULL,
    status_code INTEGER,                   -- NULL: no HTTP answer (see error)
    error       TEXT,
    body        TEXT,                      -- the first KiB of the response
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
