"""A session's one-at-a-time rule for runs and test runs, across nodes.

A Redis key (`duet:session:{id}:run`, SET NX with a TTL past the run's longest time, so a
crashed node cannot hold it for ever) whose value is the id of the run or test run holding
it. A run and a test run share it: the room shows one program's output at a time.
"""

from __future__ import annotations

import redis.asyncio as redis

from schema import keys
from schema.errors import ApiError, ErrorCode

# Delete the lock only if it is still ours (it may have expired and been taken since).
_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


async def take_run_lock(cache: redis.Redis, session_id: str, holder: str, ttl_s: int) -> None:
    """Raises 409 RUN_IN_PROGRESS when a run or test run holds the session."""
    if await cache.set(keys.run_lock(session_id), holder, nx=True, ex=ttl_s):
        return
    running = await cache.get(keys.run_lock(session_id))
    which = f" ({running.decode()})" if running else ""
    raise ApiError(
        ErrorCode.RUN_IN_PROGRESS,
        f"A run or test run{which} is already in progress in this session; cancel it or wait",
    )


async def release_run_lock(cache: redis.Redis, session_id: str, holder: str) -> None:
    await cache.eval(_RELEASE_LOCK, 1, keys.run_lock(session_id), holder)


async def run_lock_holder(cache: redis.Redis, session_id: str) -> str | None:
    holder = await cache.get(keys.run_lock(session_id))
    return holder.decode() if holder is not None else None
