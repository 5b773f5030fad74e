"""The `duet` command: `serve`, `migrate`, `sweep`, `admin create USER`."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import gc
import logging
import logging.handlers
import queue
import sys
from collections.abc import Sequence
from pathlib import Path

import uvloop
from aiohttp import web

from schema.clock import now_ms
from server.config import Settings, find_data_dir
from server.embedded import EmbeddedServices, embedded_for

log = logging.getLogger("duet")


def _configure_logging() -> None:
    # Records go through a queue to a thread that formats and writes them, so a slow
    # terminal or log pipe never blocks the event loop (access logs are one per request).
    stream = logging.StreamHandler()
    stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, stream)
    listener.start()
    atexit.register(listener.stop)
    enqueue = logging.handlers.QueueHandler(records)
    enqueue.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[enqueue])
    # pgserver logs every command line it runs at INFO.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _resolve(settings: Settings) -> tuple[Settings, EmbeddedServices]:
    services = embedded_for(settings.database_url, settings.redis_url, settings.data_dir)
    resolved = settings.model_copy(
        update={"database_url": services.database_url, "redis_url": services.redis_url}
    )
    return resolved, services


def serve(settings: Settings, host: str, port: int) -> None:
    from server.app import create_app
    from server.http.access_log import RedactingAccessLogger

    resolved, services = _resolve(settings)
    # Everything alive at start-up (modules, the app) lives for the whole process: moving
    # it out of the collector's view, and collecting the young generation less often,
    # keeps full collections (which stall every client at once) rare and short.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        web.run_app(
            create_app(resolved),
            loop=uvloop.new_event_loop(),
            host=host,
            port=port,
            shutdown_timeout=resolved.shutdown_timeout,
            access_log_class=RedactingAccessLogger,
            print=lambda message: log.info("%s", message.strip()),
        )
    finally:
        services.stop()
        log.info("stopped")


async def _migrate(settings: Settings) -> list[str]:
    from server.database import create_pool, migrate

    assert settings.database_url
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as connection:
            return await migrate(connection)
    finally:
        await pool.close()


async def _sweep(settings: Settings) -> list[str] | None:

    from server.cache import connect_cache
    from server.database import create_pool
    from server.sweeps.expiry import sweep_expired_sessions

    assert settings.database_url and settings.redis_url
    await _migrate(settings)
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    cache = connect_cache(settings.redis_url)
    try:
        return await sweep_expired_sessions(pool, cache, now_ms())
    finally:
        await pool.close()
        await cache.aclose()


async def _promote(settings: Settings, login: str) -> bool:
    from server.auth.accounts import promote_to_admin
    from server.database import create_pool

    assert settings.database_url
    await _migrate(settings)
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        return await promote_to_admin(pool, login, now_ms())
    finally:
        await pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="duet", description="Duet interview server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the HTTP and realtime server")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    admin_parser = commands.add_parser("admin", help="manage administrators")
    admin_commands = admin_parser.add_subparsers(dest="admin_command", required=True)
    create_parser = admin_commands.add_parser(
        "create", help="make an existing account (username or email) an administrator"
    )
    create_parser.add_argument("user", help="the account's username or email")
    for sub in (
        serve_parser,
        commands.add_parser("migrate", help="apply database migrations"),
        commands.add_parser("sweep", help="delete expired sessions once, then exit"),
        create_parser,
    ):
        sub.add_argument("--data-dir", type=Path, help="embedded servers' data (DUET_DATA_DIR)")
    arguments = parser.parse_args(argv)

    _configure_logging()
    settings = Settings()
    settings = settings.model_copy(
        update={"data_dir": find_data_dir(arguments.data_dir, settings, Path.cwd())}
    )

    if arguments.command == "serve":
        serve(settings, arguments.host, arguments.port)
        return 0
    resolved, services = _resolve(settings)
    try:
        if arguments.command == "admin":
            if not asyncio.run(_promote(resolved, arguments.user)):
                print(f"no account named {arguments.user!r}; register it first", file=sys.stderr)
                return 1
            print(f"{arguments.user} is now an administrator")
        elif arguments.command == "migrate":
            applied = asyncio.run(_migrate(resolved))
            print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none needed'}")
        else:
            swept = asyncio.run(_sweep(resolved))
            if swept is None:
                print("another process is sweeping; skipped")
            else:
                print(f"swept {len(swept)} expired session(s)")
    finally:
        services.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
