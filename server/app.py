"""The app factory: `create_app(settings)` wires routes, middleware and the lifecycle once.

Start-up opens the Postgres pool and Redis client, applies migrations and schedules the
expiry sweep; shutdown undoes the same in reverse. Backing-service URLs must be resolved
before this point (see `server/cli.py`, which starts the embedded ones when unset).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import redis.asyncio as redis
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from server.clock import now_ms
from server.config import Settings
from server.database import create_pool, migrate
from server.middleware import cors_middleware, error_middleware
from server.routes import docs, health, participants, sessions
from server.state import POOL, REDIS, SETTINGS, STARTED_AT
from server.sweep import sweep_expired_sessions

log = logging.getLogger(__name__)


async def _backing_services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    assert settings.database_url and settings.redis_url, "resolve backing services first"
    pool = await create_pool(
        settings.database_url,
        min_size=min(2, settings.db_pool_size),
        max_size=settings.db_pool_size,
    )
    cache = redis.from_url(settings.redis_url)
    try:
        async with pool.acquire() as connection:
            await migrate(connection)
        app[POOL] = pool
        app[REDIS] = cache
        yield
    finally:
        await pool.close()
        await cache.aclose()


async def _expiry_sweeps(app: web.Application) -> AsyncIterator[None]:
    async def sweep() -> None:
        try:
            await sweep_expired_sessions(app[POOL], app[REDIS], now_ms())
        except Exception:
            log.exception("expiry sweep failed; the next one will retry")

    scheduler = AsyncIOScheduler()
    scheduler.add_job(
        sweep, "interval", seconds=app[SETTINGS].sweep_interval, coalesce=True, max_instances=1
    )
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        client_max_size=settings.client_max_size,
        middlewares=[cors_middleware, error_middleware],
    )
    app[SETTINGS] = settings
    app[STARTED_AT] = time.monotonic()
    app.cleanup_ctx.extend([_backing_services, _expiry_sweeps])
    for module in (sessions, participants, health, docs):
        app.router.add_routes(module.routes)
    return app
