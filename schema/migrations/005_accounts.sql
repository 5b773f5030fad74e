-- Interviewer accounts, their organizations, login sessions (refresh-token families),
-- organization API tokens, ownership and ending of interview sessions, idempotency keys
-- and the activity log.

CREATE TABLE IF NOT EXISTS organizations (
    id          UUID         PRIMARY KEY,
    name        VARCHAR(100) NOT NULL,
    created_at  BIGINT       NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    id              UUID         PRIMARY KEY,
    organization_id UUID         NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    username        VARCHAR(50)  NOT NULL,
    email           VARCHAR(254) NOT NULL,
    password_hash   TEXT         NOT NULL,
    role            VARCHAR(10)  NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL,
    last_login_at   BIGINT
);
-- Usernames and emails are unique regardless of case.
CREATE UNIQUE INDEX IF NOT EXISTS idx_users_username ON users (lower(username));
CREATE UNIQUE INDEX IF NOT EXISTS idx_users_email ON users (lower(email));

-- One row per login: every refresh token and access token of that login carries its id,
-- so revoking it (logout, or reuse of a rotated refresh token) cuts them all off.
CREATE TABLE IF NOT EXISTS login_families (
    id          UUID    PRIMARY KEY,
    user_id     UUID    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX IF NOT EXISTS idx_login_families_user ON login_families(user_id);

CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash  BYTEA   PRIMARY KEY,
    family_id   UUID    NOT NULL REFERENCES login_families(id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX IF NOT EXISTS idx_refresh_tokens_family ON refresh_tokens(family_id);

CREATE TABLE IF NOT EXISTS api_tokens (
    id              UUID         PRIMARY KEY,
    organization_id UUID         NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by      UUID         REFERENCES users(id) ON DELETE SET NULL,
    name            VARCHAR(100) NOT NULL,
    token_hash      BYTEA        NOT NULL UNIQUE,
    scopes          TEXT[]       NOT NULL,
    created_at      BIGINT       NOT NULL,
    last_used_at    BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX IF NOT EXISTS idx_api_tokens_org ON api_tokens(organization_id, created_at);

ALTER TABLE sessions ADD COLUMN IF NOT EXISTS owner_id UUID
    REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS organization_id UUID
    REFERENCES organizations(id) ON DELETE SET NULL;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS ended_at BIGINT;
CREATE INDEX IF NOT EXISTS idx_sessions_owner ON sessions(owner_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS idx_sessions_org
    ON sessions(organization_id, created_at DESC, id DESC);

-- The first answer to a creating call made with an Idempotency-Key, replayed for 24 h.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    principal     TEXT         NOT NULL,
    key           VARCHAR(255) NOT NULL,
    request_hash  BYTEA        NOT NULL,
    status        INTEGER      NOT NULL,
    body          TEXT         NOT NULL,
    created_at    BIGINT       NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX IF NOT EXISTS idx_idempotency_created ON idempotency_keys(created_at);

-- Who changed what. No foreign key to sessions: the record outlives the session.
CREATE TABLE IF NOT EXISTS activity (
    id              BIGSERIAL    PRIMARY KEY,
    organization_id UUID         REFERENCES organizations(id) ON DELETE CASCADE,
    actor_type      VARCHAR(12)  NOT NULL
        CHECK (actor_type IN ('user', 'api_token', 'participant', 'anonymous', 'system')),
    actor_id        TEXT,
    action          VARCHAR(40)  NOT NULL,
    session_id      VARCHAR(8),
    ip              VARCHAR(64),
    details         JSONB        NOT NULL DEFAULT '{}'::jsonb,
    created_at      BIGINT       NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_activity_org ON activity(organization_id, id DESC);
CREATE INDEX IF NOT EXISTS idx_activity_actor ON activity(actor_id, id DESC);
