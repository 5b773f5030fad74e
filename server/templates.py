"""Templates' storage: an organization's templates, each a language with starter files and
what the runner gives that language.

What a template does not name is the language's own, as the runner has it: the image the
Kubernetes runner starts (the language table's, or `DUET_K8S_IMAGES`'), the pod's
resources, the environment and the commands a run executes. A template is never deleted;
`deprecate` sets its status. Names are unique per organization, which is what lets
`initialize_defaults` run any number of times and create each default once.
"""

from __future__ import annotations

import json
import shlex
import uuid
from typing import Any

import asyncpg

from runner.kubernetes.commands import in_pod
from runner.kubernetes.podspec import pod_resources
from runner.kubernetes.settings import KubeSettings
from runner.languages import get_language
from schema.clock import iso_utc
from schema.errors import ApiError, ErrorCode, invalid
from schema.models.templates import (
    MAX_TEMPLATES,
    Template,
    TemplateRequest,
    TemplateUpdate,
)
from server.languages import SESSION_LANGUAGES
from server.template_defaults import DEFAULT_TEMPLATES, DefaultTemplate

_FIELDS = (
    "name", "display_name", "description", "category", "tags", "language", "files",
    "docker_image", "default_port", "default_resources", "environment_variables",
    "startup_commands", "documentation_url", "icon_url", "status", "version",
)  # fmt: skip
_JSON_FIELDS = ("files", "default_resources", "environment_variables", "startup_commands")
# What a language brings when a template does not say otherwise.
_FROM_LANGUAGE = ("docker_image", "default_resources", "environment_variables", "startup_commands")
_COLUMNS = "id, " + ", ".join(_FIELDS) + ", usage_count, created_at, updated_at"


def not_found() -> ApiError:
    return ApiError(ErrorCode.TEMPLATE_NOT_FOUND, "Template not found")


def _check_language(language: str) -> None:
    if language not in SESSION_LANGUAGES:
        raise invalid(
            f"Invalid request: 'language': unknown language; allowed: "
            f"{', '.join(SESSION_LANGUAGES)}"
        )


def language_runtime(language: str, kube: KubeSettings) -> dict[str, Any]:
    """What a run of `language` gets: the fields a template takes from its language."""
    definition = get_language(language)
    resources = pod_resources(definition)
    return {
        "docker_image": kube.image_for(language) if definition.runnable else None,
        "default_resources": {
            "cpu": resources["cpu"], "memory": resources["memory"],
            "storage": resources["ephemeral-storage"],
        },
        "environment_variables": dict(definition.env),
        "startup_commands": [
            shlex.join(in_pod(argv)) for _, argv in definition.steps(definition.limits)
        ] if definition.runnable else [],
    }  # fmt: skip


def template_from_row(row: asyncpg.Record) -> Template:
    return Template.from_record(
        row,
        tags=list(row["tags"]),
        **{field: json.loads(row[field]) for field in _JSON_FIELDS},
        created_at=iso_utc(row["created_at"]),
        updated_at=iso_utc(row["updated_at"]),
    )


def _values(fields: dict[str, Any]) -> list[Any]:
    return [json.dumps(fields[name]) if name in _JSON_FIELDS else fields[name] for name in _FIELDS]


def _name_taken(name: str) -> ApiError:
    return ApiError(ErrorCode.CONFLICT, f"A template named '{name}' already exists here")


async def _insert(
    connection: asyncpg.Connection | asyncpg.Pool,
    organization_id: uuid.UUID,
    fields: dict[str, Any],
    now: int,
    *,
    skip_taken: bool = False,
) -> asyncpg.Record | None:
    placeholders = ", ".join(f"${index}" for index in range(4, 4 + len(_FIELDS)))
    return await connection.fetchrow(
        f"INSERT INTO templates (id, organization_id, created_at, updated_at, {', '.join(_FIELDS)})"
        f" VALUES ($1, $2, $3, $3, {placeholders})"
        + (" ON CONFLICT (organization_id, name) DO NOTHING" if skip_taken else "")
        + f" RETURNING {_COLUMNS}",
        uuid.uuid4(), organization_id, now, *_values(fields),
    )  # fmt: skip


async def list_templates(
    pool: asyncpg.Pool, organization_id: uuid.UUID, *, category: str | None, status: str | None
) -> list[Template]:
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM templates WHERE organization_id = $1"
        " AND ($2::text IS NULL OR category = $2) AND ($3::text IS NULL OR status = $3)"
        " ORDER BY name",
        organization_id,
        category,
        status,
    )
    return [template_from_row(row) for row in rows]


async def fetch_template(
    pool: asyncpg.Pool, organization_id: uuid.UUID, template_id: uuid.UUID
) -> Template:
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM templates WHERE id = $1 AND organization_id = $2",
        template_id,
        organization_id,
    )
    if row is None:
        raise not_found()
    return template_from_row(row)


async def create_template(
    pool: asyncpg.Pool,
    organization_id: uuid.UUID,
    body: TemplateRequest,
    kube: KubeSettings,
    now: int,
) -> Template:
    _check_language(body.language)
    fields = body.model_dump()
    for name, value in language_runtime(body.language, kube).items():
        if fields[name] is None:
            fields[name] = value
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('duet.templates:' || $1, 0))",
            str(organization_id),
        )
        count = await connection.fetchval(
            "SELECT count(*) FROM templates WHERE organization_id = $1", organization_id
        )
        if count >= MAX_TEMPLATES:
            raise ApiError(
                ErrorCode.CONFLICT,
                f"An organization keeps at most {MAX_TEMPLATES} templates; deprecated ones "
                "count too: change one with PUT instead",
            )
        try:
            row = await _insert(connection, organization_id, fields, now)
        except asyncpg.UniqueViolationError:
            raise _name_taken(body.name) from None
    assert row is not None
    return template_from_row(row)


async def update_template(
    pool: asyncpg.Pool,
    organization_id: uuid.UUID,
    template_id: uuid.UUID,
    update: TemplateUpdate,
    kube: KubeSettings,
    now: int,
) -> Template:
    changes = update.changes()
    if "language" in changes:
        _check_language(changes["language"])
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            f"SELECT {_COLUMNS} FROM templates WHERE id = $1 AND organization_id = $2 FOR UPDATE",
            template_id,
            organization_id,
        )
        if row is None:
            raise not_found()
        current = template_from_row(row).model_dump(include=set(_FIELDS))
        if changes.get("language", current["language"]) != current["language"]:
            # Another language runs in its own image, with its own commands.
            runtime = language_runtime(changes["language"], kube)
            changes = {**{name: runtime[name] for name in _FROM_LANGUAGE}, **changes}
        fields = {**current, **changes}
        assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(_FIELDS, 4))
        try:
            updated = await connection.fetchrow(
                f"UPDATE templates SET updated_at = $3, {assignments}"
                f" WHERE id = $1 AND organization_id = $2 RETURNING {_COLUMNS}",
                template_id, organization_id, now, *_values(fields),
            )  # fmt: skip
        except asyncpg.UniqueViolationError:
            raise _name_taken(fields["name"]) from None
    return template_from_row(updated)


async def deprecate_template(
    pool: asyncpg.Pool, organization_id: uuid.UUID, template_id: uuid.UUID, now: int
) -> Template:
    """Status `deprecated`, as the seed's DELETE does; again changes nothing."""
    row = await pool.fetchrow(
        "UPDATE templates SET status = 'deprecated',"
        " updated_at = CASE WHEN status = 'deprecated' THEN updated_at ELSE $3 END"
        f" WHERE id = $1 AND organization_id = $2 RETURNING {_COLUMNS}",
        template_id,
        organization_id,
        now,
    )
    if row is None:
        raise not_found()
    return template_from_row(row)


def _default_fields(default: DefaultTemplate, kube: KubeSettings) -> dict[str, Any]:
    return {
        "name": default.name, "display_name": default.display_name,
        "description": default.description, "category": default.category,
        "tags": list(default.tags), "language": default.language, "files": default.files,
        "default_port": default.default_port, "documentation_url": default.documentation_url,
        "icon_url": None, "status": "active", "version": "1.0.0",
        **language_runtime(default.language, kube),
    }  # fmt: skip


async def initialize_defaults(
    pool: asyncpg.Pool, organization_id: uuid.UUID, kube: KubeSettings, now: int
) -> tuple[list[str], list[Template]]:
    """Create each default template the organization has no template of that name for;
    the names created now, and every default as it is now (changed ones as changed)."""
    created: list[str] = []
    async with pool.acquire() as connection, connection.transaction():
        for default in DEFAULT_TEMPLATES:
            row = await _insert(
                connection, organization_id, _default_fields(default, kube), now, skip_taken=True
            )
            if row is not None:
                created.append(default.name)
        rows = await connection.fetch(
            f"SELECT {_COLUMNS} FROM templates WHERE organization_id = $1 AND name = ANY($2)",
            organization_id,
            [default.name for default in DEFAULT_TEMPLATES],
        )
    by_name = {row["name"]: template_from_row(row) for row in rows}
    return created, [by_name[default.name] for default in DEFAULT_TEMPLATES]
