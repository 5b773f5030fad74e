-- Templates (seed 002's Templates API): an organization's starting points for a language,
-- each a language of the runner's table with its starter files, and what the Kubernetes
-- runner gives that language (image, resources, environment, commands). A template is
-- never deleted: DELETE sets its status to 'deprecated'. Names are unique in an
-- organization, which is what makes POST /templates/initialize idempotent.
CREATE TABLE IF NOT EXISTS templates (
    id                     UUID         PRIMARY KEY,
    organization_id        UUID         NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name                   VARCHAR(64)  NOT NULL,
    display_name           VARCHAR(100) NOT NULL,
    description            TEXT         NOT NULL DEFAULT '',
    category               VARCHAR(30)  NOT NULL,
    tags                   TEXT[]       NOT NULL DEFAULT '{}',
    language               VARCHAR(20)  NOT NULL,
    files                  JSONB        NOT NULL DEFAULT '{}',
    docker_image           VARCHAR(255),
    default_port           INTEGER,
    default_resources      JSONB        NOT NULL,
    environment_variables  JSONB        NOT NULL DEFAULT '{}',
    startup_commands       JSONB        NOT NULL DEFAULT '[]',
    documentation_url      TEXT,
    icon_url               TEXT,
    status                 VARCHAR(10)  NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'deprecated', 'beta')),
    version                VARCHAR(32)  NOT NULL DEFAULT '1.0.0',
    usage_count            INTEGER      NOT NULL DEFAULT 0,
    created_at             BIGINT       NOT NULL,
    updated_at             BIGINT       NOT NULL,
    UNIQUE (organization_id, name)
);
