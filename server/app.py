"""The app factory: `create_app(settings)` wires routes, middleware and the lifecycle once.

Start-up opens the Postgres pool and Redis client, applies migrations and schedules the
expiry and presence sweeps; shutdown undoes the same in reverse. Backing-service URLs must
be resolved before this point (see `server/cli.py`, which starts the embedded ones when unset).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import asyncpg
import redis.asyncio as redis
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collab.relay import Relay
from collab.room import RoomRules
from collab.rooms import LocalRooms
from collab.stats import CollabStats
from collab.store import DocumentStore
from runner.backends import open_backend
from runner.sandbox import Sandbox
from schema.clock import now_ms
from server import sessions
from server.auth.access_tokens import load_signing_key
from server.auth.passwords import Passwords
from server.cache import connect_cache
from server.config import Settings
from server.database import create_pool, migrate
from server.http.middleware import cors_middleware, error_middleware
from server.http.parser_refusals import quiet_parser_refusals
from server.http.rate_counter import RateCounter
from server.http.rate_limits import rate_limit_middleware
from server.interview_timer import pause_timer_if_running
from server.languages import SESSION_LANGUAGES
from server.metrics import Metrics
from server.realtime import websockets
from server.realtime.gateway import Gateway
from server.realtime.heartbeat import Heartbeat
from server.realtime.runs import RunEventAdapter
from server.realtime.socketio import attach_socketio
from server.routes import activity as activity_routes
from server.routes import (
    api_tokens,
    auth,
    docs,
    evaluations,
    health,
    languages,
    notes,
    pages,
    participants,
    questions,
    runtime,
    session_question,
    templates,
)
from server.routes import interview_timer as timer_routes
from server.routes import metrics as metrics_routes
from server.routes import runs as run_routes
from server.routes import sessions as session_routes
from server.routes import (
    test_runs as test_run_routes,
)
from server.routes import webhooks as webhook_routes
from server.runs.manager import RunManager
from server.session_lifecycle import SessionClosed, SessionLifecycle, delete_session_keys
from server.state import (
    GATEWAY,
    HEARTBEAT,
    JWT_KEY,
    LIFECYCLE,
    METRICS,
    PASSWORDS,
    POOL,
    RATE_COUNTER,
    REDIS,
    RELAY,
    ROOMS,
    RUNS,
    SETTINGS,
    STARTED_AT,
    TEST_RUNS,
)
from server.sweeps.expiry import sweep_expired_sessions
from server.sweeps.pods import sweep_pods
from server.sweeps.presence import reconcile_presence
from server.test_runs.manager import TestRunManager
from server.webhooks.delivery import WebhookDelivery

log = logging.getLogger(__name__)


async def _backing_services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    assert settings.database_url and settings.redis_url, "resolve backing services first"
    pool = await create_pool(
        settings.database_url,
        min_size=min(2, settings.db_pool_size),
        max_size=settings.db_pool_size,
    )
    cache = connect_cache(settings.redis_url)
    try:
        async with pool.acquire() as connection:
            await migrate(connection)
        app[POOL] = pool
        app[REDIS] = cache
        app[RATE_COUNTER] = RateCounter(cache)
        yield
    finally:
        await pool.close()
        await cache.aclose()


async def _messaging(app: web.Application) -> AsyncIterator[None]:
    # Made first, started last: everything that handles control messages registers first.
    relay = Relay(app[REDIS])
    app[RELAY] = relay
    try:
        yield
    finally:
        await relay.stop()


async def _code_runs(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # Refuses to start (SandboxUnavailable) when the configured sandbox cannot work here.
    sandbox, warnings = await open_backend(
        settings.runner,
        cache=app[REDIS],
        protected_paths=[settings.data_dir],
        standby=settings.runner_standby,
        kube=settings.kube_settings() if settings.runner == "kubernetes" else None,
    )
    manager = RunManager(app[POOL], app[REDIS], app[RELAY], sandbox, settings)
    manager.warnings.extend(warnings)
    manager.observe_run = lambda seconds: app[METRICS].observe_run("run", seconds)
    app[RUNS] = manager
    test_runs = TestRunManager(app[POOL], app[REDIS], app[RELAY], manager, settings)
    test_runs.observe_run = lambda seconds: app[METRICS].observe_run("test_run", seconds)
    app[TEST_RUNS] = test_runs
    # Probing toolchain versions takes a moment (the JVM); do it before the first run asks.
    probe = asyncio.get_running_loop().create_task(sandbox.languages())
    try:
        yield
    finally:
        # Not cancelled: a cancelled probe would leave its toolchain processes behind.
        await asyncio.gather(probe, return_exceptions=True)
        await test_runs.shutdown()
        await manager.shutdown()
        await sandbox.close()


async def _collaboration(app: web.Application) -> AsyncIterator[None]:
    settings, pool, cache, relay, runs, test_runs = (
        app[SETTINGS], app[POOL], app[REDIS], app[RELAY], app[RUNS], app[TEST_RUNS]
    )  # fmt: skip

    async def write_language(session_id: str, language: str) -> None:
        await sessions.set_language(pool, session_id, language, now_ms())
        # The next run will likely be in the new language: have its sandbox built.
        runs.prepare(language)

    async def seed_missing(session_id: str) -> None:
        await sessions.seed_missing_document(pool, session_id, now_ms())

    rooms = LocalRooms(
        DocumentStore(pool, cache),
        relay,
        RoomRules(
            max_code_bytes=settings.max_code_bytes,
            languages=frozenset(SESSION_LANGUAGES),
            max_document_bytes=settings.max_document_bytes,
        ),
        write_language=write_language,
        seed_missing=seed_missing,
        snapshot_delay=settings.snapshot_delay,
        idle_seconds=settings.room_idle_seconds,
        stats=CollabStats(
            observe_commit=app[METRICS].update_commit.observe,
            observe_follow_lag=app[METRICS].update_follow_lag.observe,
        ),
    )
    gateway = Gateway(
        pool, cache, rooms, relay, runs=RunEventAdapter(runs, test_runs, pool),
        max_sockets_per_user=settings.max_sockets_per_user,
    )  # fmt: skip
    heartbeat = Heartbeat(
        cache, relay.node_id, int(settings.node_heartbeat_ttl * 1000), gateway.recount
    )
    lifecycle = SessionLifecycle(
        pool, relay, rooms, sweep=lambda now: sweep_expired_sessions(pool, cache, now)
    )
    _hook_into_closing(pool, lifecycle, rooms, runs, test_runs, cache)
    app[ROOMS], app[GATEWAY], app[HEARTBEAT], app[LIFECYCLE] = rooms, gateway, heartbeat, lifecycle
    await relay.start()
    await rooms.start()
    await heartbeat.start()
    try:
        yield
    finally:
        await heartbeat.stop()
        await rooms.stop()


def _hook_into_closing(
    pool: asyncpg.Pool,
    lifecycle: SessionLifecycle,
    rooms: LocalRooms,
    runs: RunManager,
    test_runs: TestRunManager,
    cache: redis.Redis,
) -> None:
    """What happens when a session ends, is deleted or expires, in this order."""

    async def disconnect(event: SessionClosed) -> None:
        # Reconnecting is refused (SESSION_ENDED, or the session is gone).
        await rooms.drop(event.session_id, event.message)

    async def stop_runs(event: SessionClosed) -> None:
        await runs.session_closed(event.session_id)
        await test_runs.session_closed(event.session_id)

    async def release_runtime(event: SessionClosed) -> None:
        # Nothing runs there any more: a session's pod (Kubernetes runner) can go now.
        await runs.release_session(event.session_id)

    async def stop_timer(event: SessionClosed) -> None:
        # The interview's clock stops where the interview did (a deleted or expired
        # session's row is gone with it).
        if event.reason == "ended":
            await pause_timer_if_running(pool, event.session_id, now_ms())

    async def forget_keys(event: SessionClosed) -> None:
        # An expired session's keys go inside the expiry sweep; an ended one stays readable.
        if event.reason == "deleted":
            await delete_session_keys(cache, [event.session_id])

    lifecycle.on_closed(disconnect, every_node=True)
    lifecycle.on_closed(stop_runs, every_node=True)
    lifecycle.on_closed(release_runtime)
    lifecycle.on_closed(stop_timer)
    lifecycle.on_closed(forget_keys)


async def _cancel_runs(app: web.Application) -> None:
    # On shutdown, while rooms and the database are still up: stop every program, record
    # it as cancelled and tell the room.
    if TEST_RUNS in app:
        await app[TEST_RUNS].shutdown()
    if RUNS in app:
        await app[RUNS].shutdown()


async def _close_rooms(app: web.Application) -> None:
    # On shutdown, before aiohttp waits for open handlers: snapshot and disconnect every
    # realtime client, or their long-lived sockets would hold the shutdown up.
    if ROOMS in app:
        await app[ROOMS].stop()


async def _webhook_deliveries(app: web.Application) -> AsyncIterator[None]:
    delivery = WebhookDelivery(app[POOL], app[SETTINGS], app[JWT_KEY])
    await delivery.start()
    try:
        yield
    finally:
        await delivery.stop()


async def _expiry_sweeps(app: web.Application) -> AsyncIterator[None]:
    async def sweep() -> None:
        try:
            await app[LIFECYCLE].expire(now_ms())
        except Exception:
            log.exception("expiry sweep failed; the next one will retry")

    async def presence_sweep() -> None:
        try:
            await reconcile_presence(app[POOL], app[REDIS], app[GATEWAY].announce_lapsed)
        except Exception:
            log.exception("presence sweep failed; the next one will retry")

    async def pod_sweep(sandbox: Sandbox) -> None:
        try:
            await sweep_pods(app[POOL], app[REDIS], sandbox, app[SETTINGS].k8s_sweep_interval)
        except Exception:
            log.exception("pod sweep failed; the next one will retry")

    scheduler = AsyncIOScheduler()
    scheduler.add_job(
        sweep, "interval", seconds=app[SETTINGS].sweep_interval, coalesce=True, max_instances=1
    )
    scheduler.add_job(
        presence_sweep, "interval", seconds=app[SETTINGS].presence_interval,
        coalesce=True, max_instances=1,
    )  # fmt: skip
    sandbox = app[RUNS].sandbox
    if sandbox.keeps_sessions:
        scheduler.add_job(
            pod_sweep, "interval", args=[sandbox], seconds=app[SETTINGS].k8s_sweep_interval,
            coalesce=True, max_instances=1,
        )  # fmt: skip
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        client_max_size=settings.client_max_size,
        middlewares=[cors_middleware, error_middleware, rate_limit_middleware],
    )
    quiet_parser_refusals()
    app[SETTINGS] = settings
    app[JWT_KEY] = load_signing_key(settings)
    app[PASSWORDS] = Passwords(settings)
    app[STARTED_AT] = time.monotonic()
    app[METRICS] = Metrics()
    app[METRICS].collect_from(app)
    app.cleanup_ctx.extend(
        [
            _backing_services,
            _messaging,
            _code_runs,
            _collaboration,
            _webhook_deliveries,
            _expiry_sweeps,
        ]
    )
    app.on_shutdown.extend([_cancel_runs, _close_rooms])
    for module in (
        session_routes, participants, run_routes, test_run_routes, runtime, notes, evaluations,
        auth, api_tokens, webhook_routes, activity_routes, questions, session_question,
        templates, timer_routes, languages, health, metrics_routes, docs, websockets, pages,
    ):  # fmt: skip
        app.router.add_routes(module.routes)
    attach_socketio(app, settings)
    return app
