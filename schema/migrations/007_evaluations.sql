-- Interviewers' scorecards. Never part of the shared document, and never shown to a
-- candidate; deleted with the session.
CREATE TABLE IF NOT EXISTS evaluations (
    id              UUID         PRIMARY KEY,
    session_id      VARCHAR(8)   NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    author_type     VARCHAR(12)  NOT NULL CHECK (author_type IN ('participant', 'user')),
    author_id       UUID         NOT NULL,
    author_name     VARCHAR(100) NOT NULL,
    rating          SMALLINT     NOT NULL CHECK (rating BETWEEN 1 AND 4),
    recommendation  VARCHAR(10)  NOT NULL
        CHECK (recommendation IN ('strong_no', 'no', 'yes', 'strong_yes')),
    text            TEXT         NOT NULL DEFAULT '',
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL
);
-- One scorecard per interviewer per session; submitting again replaces it.
CREATE UNIQUE INDEX IF NOT EXISTS idx_evaluations_author ON evaluations(session_id, author_id);
CREATE INDEX IF NOT EXISTS idx_evaluations_session ON evaluations(session_id, created_at);
