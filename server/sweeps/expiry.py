"""The expiry sweep: delete sessions past `expiresAt`, with everything that hangs off them.

Several server processes share one database, so each sweep first takes a transaction-level
advisory lock; a process that does not get it skips this round. The lock is released with
the transaction, even if the process dies mid-sweep.
"""

from __future__ import annotations

import logging

import asyncpg
import redis.asyncio as redis

from server import evaluations
from server.database import SWEEP_LOCK
from server.http.idempotency import forget_expired
from server.session_lifecycle import delete_session_keys
from server.sessions import SESSION_COLUMNS, session_from_row
from server.test_runs import store as test_run_store
from server.webhooks import outbox

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
            ids = await connection.fetch(
                "SELECT id FROM sessions WHERE expires_at <= $1 ORDER BY id LIMIT $2 FOR UPDATE",
                now,
                BATCH,
            )
            batch = [row["id"] for row in ids]
            await _announce_expiries(connection, batch)
            await connection.execute("DELETE FROM sessions WHERE id = ANY($1)", batch)
            swept.extend(batch)
            if len(batch) < BATCH:
                break
    await forget_expired(pool, now)
    await forget_spent_records(pool, now)
    if swept:
        await delete_session_keys(cache, swept)
        log.info("swept %d expired sessions", len(swept))
    return swept


async def _announce_expiries(connection: asyncpg.Connection, session_ids: list[str]) -> None:
    """`session.expired`, with the final code, language and evaluations, for those of the
    sessions that belong to an organization; in the deleting transaction."""
    rows = await connection.fetch(
        f"SELECT {SESSION_COLUMNS}, s.organization_id, s.expires_at AS expired_at"
        " FROM sessions s WHERE s.id = ANY($1) AND s.organization_id IS NOT NULL",
        session_ids,
    )
    for row in rows:
        session = session_from_row(row)
        data = {
            "session": session,
            "code": session.code,
            "language": session.language,
            "evaluations": await evaluations.list_for_session(connection, session.id),
            "testScore": await test_run_store.latest_score(connection, session.id),
        }
        await outbox.enqueue(
            connection, row["organization_id"], "session.expired", data, row["expired_at"]
        )


# Finished webhook deliveries stay readable (GET /webhooks/{id}/deliveries) this long.
DELIVERY_RETENTION_MS = 30 * 86_400_000


async def forget_spent_records(pool: asyncpg.Pool, now: int) -> None:
    """Refresh tokens past their expiry, logins with none left (their access tokens, which
    live minutes, expired long before), and finished deliveries older than a month. The
    activity log is kept."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM refresh_tokens WHERE expires_at <= $1", now)
        await connection.execute(
            "DELETE FROM login_families f WHERE NOT EXISTS"
            " (SELECT 1 FROM refresh_tokens r WHERE r.family_id = f.id)"
        )
        await connection.execute(
            "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at <= $1",
            now - DELIVERY_RETENTION_MS,
        )
