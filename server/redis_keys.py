"""Removing a session's Redis keys with the session.

Writers also set a TTL at the session's expiry, so a key survives a crash between the
Postgres delete and this cleanup by at most that long.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis.asyncio as redis

from schema import keys


async def delete_session_keys(client: redis.Redis, session_ids: Iterable[str]) -> int:
    deleted = 0
    for session_id in session_ids:
        batch: list[bytes] = []
        async for key in client.scan_iter(match=keys.session_keys_pattern(session_id), count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += await client.unlink(*batch)
                batch.clear()
        if batch:
            deleted += await client.unlink(*batch)
    return deleted
