-- The question a session is about, pinned at a version: editing the question later makes
-- a new version and leaves this one as the interview had it.
CREATE TABLE IF NOT EXISTS session_questions (
    session_id   VARCHAR(8) PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    question_id  UUID       NOT NULL,
    version      INTEGER    NOT NULL,
    set_by       UUID,
    set_at       BIGINT     NOT NULL,
    FOREIGN KEY (question_id, version) REFERENCES question_versions(question_id, version)
);
