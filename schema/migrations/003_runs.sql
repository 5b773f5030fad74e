-- Code runs: one row per run, kept with its output for the session's history and deleted
-- with the session. `seq` orders runs (newest first) and is the pagination cursor.
-- Output is JSON in BYTEA, [[stream, text], ...]: programs print NUL characters, which
-- neither TEXT nor JSONB can hold.
CREATE TABLE IF NOT EXISTS runs (
    id               UUID        PRIMARY KEY,
    seq              BIGSERIAL   NOT NULL UNIQUE,
    session_id       VARCHAR(8)  NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    -- No foreign key: a run stays in the history after its author leaves the session.
    participant_id   UUID        NOT NULL,
    language         VARCHAR(20) NOT NULL,
    code_sha256      CHAR(64)    NOT NULL,
    started_at       BIGINT      NOT NULL,
    finished_at      BIGINT,
    status           VARCHAR(10) NOT NULL CHECK (status IN ('running', 'finished')),
    stage            VARCHAR(10),
    exit_code        INTEGER,
    signal           VARCHAR(16),
    duration_ms      INTEGER,
    timed_out        BOOLEAN     NOT NULL DEFAULT false,
    memory_exceeded  BOOLEAN     NOT NULL DEFAULT false,
    output_truncated BOOLEAN     NOT NULL DEFAULT false,
    cancelled        BOOLEAN     NOT NULL DEFAULT false,
    output           BYTEA       NOT NULL DEFAULT '\x5b5d'::bytea
);

CREATE INDEX IF NOT EXISTS idx_runs_session_seq ON runs(session_id, seq DESC);
