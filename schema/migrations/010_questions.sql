-- The question bank: an organization's questions, each a list of immutable versions. A
-- PUT adds a version; a session pins the version it started with, so editing a question
-- never changes a past interview. A deleted question keeps its versions for those
-- sessions and disappears from the bank.
CREATE TABLE IF NOT EXISTS questions (
    id               UUID    PRIMARY KEY,
    organization_id  UUID    NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    latest_version   INTEGER NOT NULL,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    deleted_at       BIGINT
);
CREATE INDEX IF NOT EXISTS idx_questions_organization
    ON questions(organization_id, updated_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE IF NOT EXISTS question_versions (
    question_id        UUID         NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    version            INTEGER      NOT NULL,
    title              VARCHAR(200) NOT NULL,
    prompt             TEXT         NOT NULL,
    difficulty         VARCHAR(6)   NOT NULL CHECK (difficulty IN ('easy', 'medium', 'hard')),
    tags               TEXT[]       NOT NULL DEFAULT '{}',
    starters           JSONB        NOT NULL DEFAULT '{}',
    tests              JSONB        NOT NULL DEFAULT '[]',
    compare            VARCHAR(40)  NOT NULL DEFAULT 'trim',
    harness            JSONB        NOT NULL DEFAULT '{}',
    interviewer_notes  TEXT         NOT NULL DEFAULT '',
    created_by         UUID,
    created_at         BIGINT       NOT NULL,
    PRIMARY KEY (question_id, version)
);
