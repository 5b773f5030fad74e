"""The Redis client every part of a server process shares."""

from __future__ import annotations

import redis.asyncio as redis

# Commands in flight at once: document appends, stream follows (each holds a connection for
# its XREAD BLOCK), presence and locks. Past this a command waits for a free connection
# instead of failing, as redis-py's default pool does.
MAX_CONNECTIONS = 64
WAIT_SECONDS = 10


def connect_cache(url: str) -> redis.Redis:
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=WAIT_SECONDS
    )
    return redis.Redis(connection_pool=pool)
