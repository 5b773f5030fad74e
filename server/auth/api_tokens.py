"""Organization API tokens (`dk_…`) for hiring tools: shown once, stored as SHA-256."""

from __future__ import annotations

import uuid

import asyncpg

from schema.errors import ApiError, ErrorCode
from schema.models import ApiToken
from server.auth.secret_tokens import new_token, token_digest

MAX_TOKENS_PER_ORGANIZATION = 100


def api_token_from_row(row: asyncpg.Record) -> ApiToken:
    return ApiToken.from_record(row, scopes=list(row["scopes"]))


async def create_api_token(
    connection: asyncpg.Connection,
    organization_id: uuid.UUID,
    created_by: uuid.UUID,
    name: str,
    scopes: list[str],
    now: int,
) -> tuple[ApiToken, str]:
    await connection.execute(
        "SELECT id FROM organizations WHERE id = $1 FOR UPDATE", organization_id
    )
    live = await connection.fetchval(
        "SELECT count(*) FROM api_tokens WHERE organization_id = $1 AND revoked_at IS NULL",
        organization_id,
    )
    if live >= MAX_TOKENS_PER_ORGANIZATION:
        raise ApiError(
            ErrorCode.CONFLICT,
            f"An organization may hold at most {MAX_TOKENS_PER_ORGANIZATION} live API tokens",
        )
    token = new_token("api")
    row = await connection.fetchrow(
        "INSERT INTO api_tokens (id, organization_id, created_by, name, token_hash, scopes,"
        " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        uuid.uuid4(), organization_id, created_by, name, token_digest(token),
        sorted(set(scopes)), now,
    )  # fmt: skip
    return api_token_from_row(row), token


async def list_api_tokens(pool: asyncpg.Pool, organization_id: uuid.UUID) -> list[dict]:
    rows = await pool.fetch(
        "SELECT * FROM api_tokens WHERE organization_id = $1 ORDER BY created_at, id",
        organization_id,
    )
    return [api_token_from_row(row) for row in rows]


async def revoke_api_token(
    connection: asyncpg.Connection, organization_id: uuid.UUID, token_id: uuid.UUID, now: int
) -> ApiToken:
    row = await connection.fetchrow(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $3)"
        " WHERE id = $1 AND organization_id = $2 RETURNING *",
        token_id,
        organization_id,
        now,
    )
    if row is None:
        raise ApiError(ErrorCode.API_TOKEN_NOT_FOUND, "API token not found")
    return api_token_from_row(row)
