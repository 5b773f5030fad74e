"""The errors that mean a backing service (Postgres, Redis) failed us, in two lists: the
ones that say it cannot be reached, and every error a storage call can raise."""

from __future__ import annotations

import asyncpg
import redis.exceptions

# Unreachable is an outage, not a bug: the REST middleware answers these with 503 so load
# balancers and clients retry, and keeps 500 for what really is our fault.
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

# Any error a Postgres or Redis call can raise, reachable or not: the realtime gateway
# catches these around its storage calls, so a failed write closes the room (its clients
# resync from storage) and a failed presence count is retried, instead of a task dying.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (
    *UNREACHABLE,
    redis.exceptions.RedisError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)
