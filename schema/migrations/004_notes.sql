-- Interviewers' private notes: a timestamped log per session, kept apart from the shared
-- document (a Yjs document cannot hide part of itself from one client) and from every
-- answer a candidate can read. The author's name is copied so a note outlives its author's
-- removal from the session.
CREATE TABLE IF NOT EXISTS notes (
    id             UUID          PRIMARY KEY,
    seq            BIGSERIAL     NOT NULL UNIQUE,
    session_id     VARCHAR(8)    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    author_id      UUID          NOT NULL,
    author_name    VARCHAR(100)  NOT NULL,
    body           TEXT          NOT NULL,
    created_at     BIGINT        NOT NULL,
    updated_at     BIGINT        NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_notes_session_seq ON notes(session_id, seq);
