-- Webhook endpoints of an organization and the outbox of deliveries to them. A delivery row
-- is written in the same transaction as the change it reports, so a crash loses none; the
-- delivery worker claims due rows with FOR UPDATE SKIP LOCKED, so several processes share
-- the work without sending one twice at the same time.

CREATE TABLE IF NOT EXISTS webhooks (
    id              UUID          PRIMARY KEY,
    organization_id UUID          NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url             VARCHAR(2000) NOT NULL,
    events          TEXT[]        NOT NULL,
    description     VARCHAR(200)  NOT NULL DEFAULT '',
    -- Kept in the clear: signing needs the key itself (a digest could not sign).
    secret          TEXT          NOT NULL,
    created_by      UUID          REFERENCES users(id) ON DELETE SET NULL,
    created_at      BIGINT        NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_webhooks_org ON webhooks(organization_id, created_at);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id               VARCHAR(40)  PRIMARY KEY,
    seq              BIGSERIAL    NOT NULL UNIQUE,
    webhook_id       UUID         NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event            VARCHAR(40)  NOT NULL,
    payload          TEXT         NOT NULL,
    status           VARCHAR(10)  NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER      NOT NULL DEFAULT 0,
    created_at       BIGINT       NOT NULL,
    next_attempt_at  BIGINT       NOT NULL,
    delivered_at     BIGINT
);
CREATE INDEX IF NOT EXISTS idx_deliveries_due
    ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS idx_deliveries_webhook ON webhook_deliveries(webhook_id, seq DESC);

CREATE TABLE IF NOT EXISTS webhook_attempts (
    id            BIGSERIAL    PRIMARY KEY,
    delivery_id   VARCHAR(40)  NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempted_at  BIGINT       NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    response_body TEXT,
    duration_ms   INTEGER      NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_attempts_delivery ON webhook_attempts(delivery_id, id);
