-- The interview's own clock, which interviewers start, pause and reset (not the link's
-- expiry). `elapsed_ms` is what ran before the current start; `started_at` is set while
-- it runs.
CREATE TABLE IF NOT EXISTS session_timers (
    session_id  VARCHAR(8) PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    started_at  BIGINT,
    elapsed_ms  BIGINT     NOT NULL DEFAULT 0,
    updated_by  UUID,
    updated_at  BIGINT     NOT NULL
);
