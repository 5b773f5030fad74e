"""The Postgres pool and the migration runner.

Migrations are the ordered `NNN_*.sql` files in `schema/migrations/`. Each is applied once,
in its own transaction, under an advisory lock so that several processes starting together
do not race; running them again is a no-op.
"""

from __future__ import annotations

import logging
from importlib import resources

import asyncpg

log = logging.getLogger(__name__)

# Arbitrary but fixed keys for pg_advisory_lock; one per kind of exclusive job.
MIGRATION_LOCK = 0x6475_6574_0001
SWEEP_LOCK = 0x6475_6574_0002


def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("schema") / "migrations"
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), (folder / name).read_text("utf-8")) for name in names]


async def migrate(connection: asyncpg.Connection) -> list[str]:
    """Apply every migration not yet applied; return the names applied now."""
    applied_now: list[str] = []
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version TEXT PRIMARY KEY,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        rows = await connection.fetch("SELECT version FROM schema_migrations")
        done = {row["version"] for row in rows}
        for version, sql in migration_files():
            if version in done:
                continue
            async with connection.transaction():
                await connection.execute(sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)", version
                )
            log.info("applied migration %s", version)
            applied_now.append(version)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now


async def _reset_connection(connection: asyncpg.Connection) -> None:
    # asyncpg's default reset runs a query on every release to the pool (a round trip per
    # request). Our queries leave no session state behind (advisory locks are released
    # explicitly or are transaction-scoped), so only a transaction left open needs undoing.
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def create_pool(database_url: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        reset=_reset_connection,
    )
    assert pool is not None
    return pool
