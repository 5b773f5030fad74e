"""The webhook outbox: what happened, written as one delivery per subscribed endpoint.

`enqueue` writes on the caller's connection, inside the transaction of the change it
reports: the change and its notification commit or roll back together.
`server/webhooks/delivery.py` sends them.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from schema.models import jsonable

EVENTS = (
    "session.created",
    "participant.joined",
    "run.finished",
    "test_run.finished",
    "session.ended",
    "session.expired",
    "evaluation.submitted",
)


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(16)


def iso_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


async def enqueue(
    connection: asyncpg.Connection,
    organization_id: uuid.UUID | None,
    event: str,
    data: dict[str, Any],
    now: int,
) -> int:
    """Write a delivery of `event` for each endpoint subscribed to it; returns how many."""
    assert event in EVENTS, event
    if organization_id is None:
        return 0
    webhook_ids = await connection.fetch(
        "SELECT id FROM webhooks WHERE organization_id = $1 AND $2 = ANY(events)",
        organization_id,
        event,
    )
    if not webhook_ids:
        return 0
    payload = json.dumps(  # models in `data` are written as the API answers them
        {"type": event, "timestamp": iso_time(now), "data": data},
        ensure_ascii=False,
        default=jsonable,
    )
    session_id = session_of(data)
    await connection.executemany(
        "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, created_at,"
        " next_attempt_at, session_id) VALUES ($1, $2, $3, $4, $5, $5, $6)",
        [(new_message_id(), row["id"], event, payload, now, session_id) for row in webhook_ids],
    )
    return len(webhook_ids)


def session_of(data: dict[str, Any]) -> str:
    """The session an event is about: every event's data names it, as `sessionId` or as
    the whole `session`. Deliveries are ordered per endpoint and session by it."""
    if "sessionId" in data:
        return str(data["sessionId"])
    session = data["session"]
    return str(session["id"] if isinstance(session, dict) else session.id)
