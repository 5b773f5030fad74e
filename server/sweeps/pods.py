"""Periodic clean-up of runner pods (Kubernetes backend): idle pods, and pods whose
session is gone (deleted while the API was unreachable, a server that died mid-delete).

Every server runs it; deleting an already-deleted pod is a harmless 404, and a Redis
lock keeps the rounds from overlapping needlessly.
"""

from __future__ import annotations

import logging

import asyncpg
import redis.asyncio as redis

from runner.sandbox import Sandbox
from schema.clock import now_ms
from schema.keys import POD_SWEEP_LOCK

log = logging.getLogger(__name__)


async def live_sessions(pool: asyncpg.Pool, session_ids: list[str]) -> set[str]:
    rows = await pool.fetch(
        "SELECT id FROM sessions WHERE id = ANY($1::text[]) AND expires_at > $2",
        session_ids,
        now_ms(),
    )
    return {row["id"] for row in rows}


async def sweep_pods(
    pool: asyncpg.Pool, cache: redis.Redis, sandbox: Sandbox, lock_s: int
) -> tuple[list[str], list[str]] | None:
    """(idle pods deleted, orphans deleted); None when another server is sweeping."""
    if not await cache.set(POD_SWEEP_LOCK, "1", nx=True, ex=max(1, lock_s)):
        return None
    try:

        async def alive(ids: list[str]) -> set[str]:
            return await live_sessions(pool, ids)

        idle, orphans = await sandbox.sweep_sessions(alive)
    finally:
        await cache.delete(POD_SWEEP_LOCK)
    if idle or orphans:
        log.info("pod sweep: %d idle and %d orphaned pods deleted", len(idle), len(orphans))
    return idle, orphans
