"""Who is online: a participant is online while at least one of its sockets is open, on any
node. Counts live in a Redis hash per session, so the first socket and the last one are
recognised across nodes; `isOnline` in Postgres follows them."""

from __future__ import annotations

import redis.asyncio as redis

from schema.keys import session_key


def presence_key(session_id: str) -> str:
    return session_key(session_id, "presence")


async def socket_opened(
    cache: redis.Redis, session_id: str, participant_id: str, expires_at_ms: int
) -> bool:
    """Count a socket; true when it is the participant's first."""
    key = presence_key(session_id)
    async with cache.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, participant_id, 1)
        pipe.pexpireat(key, expires_at_ms)
        count, _ = await pipe.execute()
    return int(count) == 1


async def socket_closed(cache: redis.Redis, session_id: str, participant_id: str) -> bool:
    """Uncount a socket; true when it was the participant's last."""
    key = presence_key(session_id)
    count = int(await cache.hincrby(key, participant_id, -1))
    if count <= 0:
        await cache.hdel(key, participant_id)
        return True
    return False
