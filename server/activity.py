"""The activity log: who changed what, when, from where. Written in the transaction of the
change where there is one, so the log never claims what did not happen."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from schema.models import Activity
from server.auth.principal import Principal


@dataclass(frozen=True)
class Actor:
    type: str  # user | api_token | participant | anonymous | system
    id: str | None
    organization_id: uuid.UUID | None
    ip: str | None

    @classmethod
    def of(cls, principal: Principal | None, ip: str | None, participant_id: Any = None) -> Actor:
        if principal is not None:
            return cls(principal.kind, str(principal.id), principal.organization_id, ip)
        if participant_id is not None:
            return cls("participant", str(participant_id), None, ip)
        return cls("anonymous", None, None, ip)


async def record(
    connection: asyncpg.Connection | asyncpg.Pool,
    actor: Actor,
    action: str,
    now: int,
    *,
    session_id: str | None = None,
    organization_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """`organization_id` is the organization the change belongs to (a session's), which
    may differ from the actor's own (a candidate has none); unset, it is the session's."""
    await connection.execute(
        "INSERT INTO activity (organization_id, actor_type, actor_id, action, session_id, ip,"
        " details, created_at) VALUES (coalesce($1, (SELECT organization_id FROM sessions"
        " WHERE id = $5)), $2, $3, $4, $5, $6, $7::jsonb, $8)",
        organization_id or actor.organization_id,
        actor.type,
        actor.id,
        action,
        session_id,
        (actor.ip or "")[:64] or None,
        json.dumps(details or {}),
        now,
    )


def activity_from_row(row: asyncpg.Record) -> Activity:
    return Activity.from_record(
        row, id=str(row["id"]), details=json.loads(row["details"]), timestamp=row["created_at"]
    )


async def list_activity(
    pool: asyncpg.Pool,
    *,
    organization_id: uuid.UUID | None,
    actor_id: str | None,
    limit: int,
    before: int | None,
) -> tuple[list[Activity], str | None]:
    """Newest first; `organization_id` None means every organization (admins)."""
    conditions, values = [], []
    if organization_id is not None:
        values.append(organization_id)
        conditions.append(f"organization_id = ${len(values)}")
    if actor_id is not None:
        values.append(actor_id)
        conditions.append(f"actor_id = ${len(values)}")
    if before is not None:
        values.append(before)
        conditions.append(f"id < ${len(values)}")
    values.append(limit + 1)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = await pool.fetch(
        f"SELECT * FROM activity {where} ORDER BY id DESC LIMIT ${len(values)}", *values
    )
    page = [activity_from_row(row) for row in rows[:limit]]
    next_cursor = page[-1].id if len(rows) > limit else None
    return page, next_cursor
