-- Test runs: the session's question's tests run against the code, one row per test run,
-- its per-test results kept whole (inputs, expected and actual output) for interviewers;
-- what a candidate may see is filtered when it is read, not when it is stored.
-- Results are JSON in BYTEA for the reason runs' output is: programs print NUL characters.
CREATE TABLE IF NOT EXISTS test_runs (
    id                UUID         PRIMARY KEY,
    seq               BIGSERIAL    NOT NULL UNIQUE,
    session_id        VARCHAR(8)   NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    participant_id    UUID         NOT NULL,
    question_id       UUID         NOT NULL,
    question_version  INTEGER      NOT NULL,
    language          VARCHAR(20)  NOT NULL,
    code_sha256       CHAR(64)     NOT NULL,
    started_at        BIGINT       NOT NULL,
    finished_at       BIGINT,
    status            VARCHAR(10)  NOT NULL CHECK (status IN ('running', 'finished')),
    total             INTEGER      NOT NULL,
    passed            INTEGER      NOT NULL DEFAULT 0,
    failed            INTEGER      NOT NULL DEFAULT 0,
    score             DOUBLE PRECISION,
    results           BYTEA        NOT NULL DEFAULT '\x5b5d'::bytea,
    FOREIGN KEY (question_id, question_version) REFERENCES question_versions(question_id, version)
);

CREATE INDEX IF NOT EXISTS idx_test_runs_session_seq ON test_runs(session_id, seq DESC);
