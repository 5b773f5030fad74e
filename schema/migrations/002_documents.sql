-- The latest compacted state of each session's shared document (one Yjs update), and the
-- Redis stream entry it includes up to: a room loads this plus the stream after it.
CREATE TABLE IF NOT EXISTS document_snapshots (
    session_id  VARCHAR(8) PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    state       BYTEA      NOT NULL,
    stream_ms   BIGINT     NOT NULL DEFAULT 0,
    stream_seq  BIGINT     NOT NULL DEFAULT 0,
    updated_at  BIGINT     NOT NULL
);
