"""The expiry sweep: delete sessions past `expiresAt`, with everything that hangs off them.

Several server processes share one database, so each sweep first takes a transaction-level
advisory lock; a process that does not get it skips this round. The lock is released with
the transaction, even if the process dies mid-sweep.
"""

from __future__ import annotations

import logging

import asyncpg
import redis.asyncio as redis

from server.database import SWEEP_LOCK
from server.redis_keys import delete_session_keys

log = logging.getLogger(__name__)

# Bounded batches keep one sweep's transaction short after a long outage.
BATCH = 1000


async def sweep_expired_sessions(
    pool: asyncpg.Pool, cache: redis.Redis, now: int
) -> list[str] | None:
    """Delete expired sessions; None when another process holds the sweep lock."""
    swept: list[str] = []
    async with pool.acquire() as connection, connection.transaction():
        if not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", SWEEP_LOCK):
            return None
        while True:
            rows = await connection.fetch(
                "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
                " WHERE expires_at <= $1 LIMIT $2) RETURNING id",
                now,
                BATCH,
            )
            swept.extend(row["id"] for row in rows)
            if len(rows) < BATCH:
                break
    if swept:
        await delete_session_keys(cache, swept)
        log.info("swept %d expired sessions", len(swept))
    return swept
