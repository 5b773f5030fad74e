-- Sessions and participants as in the seed, plus the capability tokens that guard them.
-- Participant ids are the clients' UUIDs, so one person can sit in several sessions:
-- the key is (session_id, id) rather than the seed's global id.

CREATE TABLE IF NOT EXISTS sessions (
    id          VARCHAR(8)   PRIMARY KEY,
    created_at  BIGINT       NOT NULL,
    updated_at  BIGINT       NOT NULL,
    expires_at  BIGINT       NOT NULL,
    code        TEXT         NOT NULL,
    language    VARCHAR(20)  NOT NULL,
    creator_id  UUID         NOT NULL,
    title       VARCHAR(200) NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS participants (
    session_id  VARCHAR(8)   NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id          UUID         NOT NULL,
    name        VARCHAR(100) NOT NULL,
    role        VARCHAR(20)  NOT NULL CHECK (role IN ('interviewer', 'candidate')),
    color       VARCHAR(50)  NOT NULL,
    joined_at   BIGINT       NOT NULL,
    is_online   BOOLEAN      NOT NULL DEFAULT true,
    PRIMARY KEY (session_id, id)
);

-- Tokens are stored only as SHA-256 digests: they carry 256 random bits, so a fast
-- hash is enough (no dictionary to attack) and lookups stay one index probe.
CREATE TABLE IF NOT EXISTS session_tokens (
    token_hash     BYTEA        PRIMARY KEY,
    session_id     VARCHAR(8)   NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind           VARCHAR(12)  NOT NULL CHECK (kind IN ('invite', 'participant')),
    role           VARCHAR(20)  NOT NULL CHECK (role IN ('interviewer', 'candidate')),
    participant_id UUID,
    created_at     BIGINT       NOT NULL,
    FOREIGN KEY (session_id, participant_id)
        REFERENCES participants(session_id, id) ON DELETE CASCADE,
    CHECK ((kind = 'participant') = (participant_id IS NOT NULL))
);

CREATE INDEX IF NOT EXISTS idx_sessions_expires_at ON sessions(expires_at);
CREATE INDEX IF NOT EXISTS idx_participants_session_id ON participants(session_id);
CREATE INDEX IF NOT EXISTS idx_session_tokens_session_id ON session_tokens(session_id);
CREATE INDEX IF NOT EXISTS idx_session_tokens_participant
    ON session_tokens(session_id, participant_id);
