"""Webhook endpoints of an organization (create, list, read, delete) and their deliveries
as the API shows them. The outbox that fills them is `server/webhooks/outbox.py`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from schema.errors import ApiError, ErrorCode
from schema.models import Delivery, DeliveryAttempt, Webhook
from server.webhooks.secret_box import seal, unseal
from server.webhooks.signing import new_secret

MAX_WEBHOOKS_PER_ORGANIZATION = 20


def webhook_from_row(row: asyncpg.Record) -> Webhook:
    return Webhook.from_record(row, events=list(row["events"]))


async def create_webhook(
    pool: asyncpg.Pool,
    organization_id: uuid.UUID,
    created_by: uuid.UUID | None,
    url: str,
    events: list[str],
    description: str,
    now: int,
    server_key: bytes,
    in_transaction: Callable[[asyncpg.Connection, Webhook], Awaitable[None]] | None = None,
) -> tuple[Webhook, str]:
    """Register an endpoint; return it and its signing secret, which is stored sealed."""
    secret = new_secret()
    async with pool.acquire() as connection, connection.transaction():
        # Serialises creations per organization, so the cap holds under concurrency.
        await connection.execute(
            "SELECT id FROM organizations WHERE id = $1 FOR UPDATE", organization_id
        )
        count = await connection.fetchval(
            "SELECT count(*) FROM webhooks WHERE organization_id = $1", organization_id
        )
        if count >= MAX_WEBHOOKS_PER_ORGANIZATION:
            raise ApiError(
                ErrorCode.CONFLICT,
                f"An organization may have at most {MAX_WEBHOOKS_PER_ORGANIZATION} webhooks",
            )
        row = await connection.fetchrow(
            "INSERT INTO webhooks (id, organization_id, url, events, description, secret,"
            " created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
            uuid.uuid4(),
            organization_id,
            url,
            sorted(set(events)),
            description,
            seal(server_key, secret),
            created_by,
            now,
        )
        webhook = webhook_from_row(row)
        if in_transaction is not None:
            await in_transaction(connection, webhook)
    return webhook, secret


async def list_webhooks(pool: asyncpg.Pool, organization_id: uuid.UUID) -> list[Webhook]:
    rows = await pool.fetch(
        "SELECT * FROM webhooks WHERE organization_id = $1 ORDER BY created_at, id",
        organization_id,
    )
    return [webhook_from_row(row) for row in rows]


async def _webhook_row(
    pool: asyncpg.Pool, organization_id: uuid.UUID, webhook_id: uuid.UUID, missing: str
) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT * FROM webhooks WHERE id = $1 AND organization_id = $2",
        webhook_id,
        organization_id,
    )
    if row is None:
        raise ApiError(ErrorCode.WEBHOOK_NOT_FOUND, missing)
    return row


async def fetch_webhook(
    pool: asyncpg.Pool, organization_id: uuid.UUID, webhook_id: uuid.UUID
) -> Webhook:
    row = await _webhook_row(pool, organization_id, webhook_id, "Webhook not found")
    return webhook_from_row(row)


async def fetch_webhook_with_secret(
    pool: asyncpg.Pool, organization_id: uuid.UUID, webhook_id: uuid.UUID, server_key: bytes
) -> tuple[Webhook, str]:
    """For an idempotent replay of the creation, which showed the secret."""
    row = await _webhook_row(pool, organization_id, webhook_id, "Webhook not found (deleted since)")
    return webhook_from_row(row), unseal(server_key, row["secret"])


async def delete_webhook(
    pool: asyncpg.Pool, organization_id: uuid.UUID, webhook_id: uuid.UUID
) -> None:
    deleted = await pool.fetchval(
        "DELETE FROM webhooks WHERE id = $1 AND organization_id = $2 RETURNING id",
        webhook_id,
        organization_id,
    )
    if deleted is None:
        raise ApiError(ErrorCode.WEBHOOK_NOT_FOUND, "Webhook not found")


def delivery_from_row(row: asyncpg.Record, attempts: list[DeliveryAttempt]) -> Delivery:
    return Delivery.from_record(
        row,
        next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
        payload=json.loads(row["payload"]),
        history=attempts,
    )


async def list_deliveries(
    pool: asyncpg.Pool, webhook_id: uuid.UUID, limit: int, before: int | None
) -> tuple[list[Delivery], str | None]:
    rows = await pool.fetch(
        "SELECT * FROM webhook_deliveries WHERE webhook_id = $1"
        " AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3",
        webhook_id,
        before,
        limit + 1,
    )
    rows, more = rows[:limit], len(rows) > limit
    attempts = await pool.fetch(
        "SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1) ORDER BY id",
        [row["id"] for row in rows],
    )
    by_delivery: dict[str, list[DeliveryAttempt]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt["delivery_id"], []).append(
            DeliveryAttempt.from_record(
                attempt, at=attempt["attempted_at"], response=attempt["response_body"]
            )
        )
    page = [delivery_from_row(row, by_delivery.get(row["id"], [])) for row in rows]
    return page, (str(rows[-1]["seq"]) if more else None)
