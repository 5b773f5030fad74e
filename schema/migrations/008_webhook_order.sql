-- Deliveries of one endpoint for one session go out in the order they were recorded
-- (seq), retries included: a delivery is claimed only while no earlier delivery of the same
-- endpoint and session is still pending. Its session is kept beside it for that check.

ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS session_id VARCHAR(8);

UPDATE webhook_deliveries
SET session_id = COALESCE(payload::jsonb -> 'data' ->> 'sessionId',
                          payload::jsonb -> 'data' -> 'session' ->> 'id')
WHERE session_id IS NULL;

CREATE INDEX IF NOT EXISTS idx_deliveries_pending_order
    ON webhook_deliveries(webhook_id, session_id, seq) WHERE status = 'pending';
