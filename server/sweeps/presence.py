"""Presence after a crash: a node that dies takes its sockets with it but leaves their counts
in the presence hashes (see `server.realtime.presence`). Every server runs this job
periodically; it finds participants marked online whose every counted socket was on a node
whose heartbeat has lapsed, removes the dead nodes' counts, sets those participants offline
and has every node announce `user_leave`.

One process works at a time (a transaction-scoped advisory lock; the others skip the
round). A first pass reads without row locks (it usually finds nothing); candidates are
then locked (`FOR UPDATE`) and checked again. The row lock orders this job against a socket
opening elsewhere: that socket is counted in Redis before its `isOnline = true` is written,
so either the second check sees it, or its write waits for this transaction and lands after
the `false`. The leave is published before the commit, so on other nodes it arrives before
that socket's `user_join`. A node taken for dead that was alive after all (Redis out of its
reach for longer than the heartbeat's life) writes its counts back at its next beat and
announces the joins (`server.realtime.gateway`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg
import redis.asyncio as redis

from schema.clock import now_ms
from server.database import PRESENCE_LOCK
from server.realtime.presence import find_lapsed, forget_fields

log = logging.getLogger(__name__)

# Told which participants of a session went offline; publishes it to every node.
Announcer = Callable[[str, list[str]], Awaitable[None]]

_ONLINE = """
SELECT p.session_id, p.id FROM participants p JOIN sessions s ON s.id = p.session_id
WHERE p.is_online AND s.expires_at > $1
"""

_LOCK_CANDIDATES = """
SELECT p.session_id, p.id FROM participants p
JOIN unnest($1::text[], $2::uuid[]) AS c(session_id, id)
  ON p.session_id = c.session_id AND p.id = c.id
WHERE p.is_online
ORDER BY p.session_id, p.id
FOR UPDATE OF p
"""

_SET_OFFLINE = """
UPDATE participants p SET is_online = false
FROM unnest($1::text[], $2::uuid[]) AS c(session_id, id)
WHERE p.session_id = c.session_id AND p.id = c.id
"""


def _group(rows: list[asyncpg.Record]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for row in rows:
        grouped.setdefault(row["session_id"], set()).add(str(row["id"]))
    return grouped


def _columns(grouped: dict[str, set[str]]) -> tuple[list[str], list[UUID]]:
    pairs = [(session_id, UUID(p)) for session_id, ids in grouped.items() for p in sorted(ids)]
    return [session_id for session_id, _ in pairs], [participant for _, participant in pairs]


async def reconcile_presence(
    pool: asyncpg.Pool, cache: redis.Redis, announce: Announcer
) -> dict[str, list[str]] | None:
    """Set offline who was online only on dead nodes; return them per session (None when
    another process holds the lock)."""
    async with pool.acquire() as connection, connection.transaction():
        if not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", PRESENCE_LOCK):
            return None
        online = _group(await connection.fetch(_ONLINE, now_ms()))
        first = await find_lapsed(cache, online)
        if not first.offline:
            await forget_fields(cache, first.dead_fields)
            return {}
        locked = _group(await connection.fetch(_LOCK_CANDIDATES, *_columns(first.offline)))
        second = await find_lapsed(cache, locked)
        # Only now: with the dead nodes' counts gone, the check could not tell who was
        # stranded on them.
        await forget_fields(cache, {**first.dead_fields, **second.dead_fields})
        if not second.offline:
            return {}
        await connection.execute(_SET_OFFLINE, *_columns(second.offline))
        went = {session_id: sorted(ids) for session_id, ids in second.offline.items()}
    # Once committed: a client that hears `user_leave` and reads the participants must
    # find them offline.
    for session_id, participant_ids in went.items():
        await announce(session_id, participant_ids)
    log.info("set %d participants offline after a node crash",
             sum(map(len, went.values())))  # fmt: skip
    return went
