-- Click triggers: sqlite/0004_webhooks.sql for PostgreSQL. Several consumers deliver at
-- once here: a worker claims due deliveries with FOR UPDATE SKIP LOCKED and leases them
-- (next_attempt_at moves past the attempt's timeout, lease names the claim), so no two
-- workers attempt one delivery, and a worker that dies leaves it due again when the
-- lease runs out.
CREATE TABLE webhooks (
    id              TEXT COLLATE "C" PRIMARY KEY,
    tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,         -- needed in clear to sign every delivery
    events          TEXT NOT NULL,         -- event types, comma-separated
    campaign        TEXT,                  -- only clicks of this campaign (NULL: any)
    link_id         TEXT COLLATE "C",      -- only clicks of this link (NULL: any)
    include_bots    BOOLEAN NOT NULL DEFAULT FALSE,
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT,
    last_success_at BIGINT,               -- or when last enabled: failures before it are forgiven
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

-- The unique (webhook, event) pair makes a click that reaches the consumer twice (a
-- redelivered batch) one delivery; its id, in the body, is what receivers de-duplicate by.
CREATE TABLE webhook_deliveries (
    id              TEXT COLLATE "C" PRIMARY KEY,
    webhook_id      TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    tenant_id       TEXT COLLATE "C" NOT NULL,
    event_id        TEXT COLLATE "C" NOT NULL,
    type            TEXT NOT NULL,
    payload         BYTEA NOT NULL,        -- the exact body of every attempt
    status          TEXT NOT NULL,         -- pending | delivered | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT,                -- pending: when due (or when a worker's lease ends)
    lease           TEXT,                  -- the claim of the worker making an attempt
    finished_at     BIGINT,                -- when delivered or given up
    UNIQUE (webhook_id, event_id)
);
-- Due work: any at all (a cheap poll), and the oldest few of each webhook (a claim).
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (created_at);

CREATE TABLE webhook_attempts (
    delivery_id TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,          -- 1 for the first attempt
    at          BIGINT NOT NULL,
    status_code INTEGER,                   -- NULL: no HTTP answer (see error)
    error       TEXT,
    body        TEXT,                      -- the first KiB of the response
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
