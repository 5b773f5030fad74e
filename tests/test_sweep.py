"""The expiry sweep: removes expired sessions with their participants, tokens and Redis
keys; only one process sweeps at a time."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import asyncpg

from schema.clock import now_ms
from schema.keys import session_key
from server.database import SWEEP_LOCK
from server.state import POOL, REDIS
from server.sweeps.expiry import DELIVERY_RETENTION_MS, sweep_expired_sessions
from tests.accounts_helpers import register
from tests.conftest import bearer, create_room, expect_error, join


async def _expire(db: asyncpg.Connection, session_id: str) -> None:
    await db.execute("UPDATE sessions SET expires_at = 1 WHERE id = $1", session_id)


async def test_sweep_deletes_expired_sessions_and_everything_under_them(client, db, cache):
    expired = await create_room(client)
    alive = await create_room(client)
    await join(client, expired, expired.candidate_invite)
    for room in (expired, alive):
        await cache.set(session_key(room.id, "probe"), "1")
    await _expire(db, expired.id)

    swept = await sweep_expired_sessions(client.app[POOL], client.app[REDIS], now_ms())

    assert swept is not None and expired.id in swept and alive.id not in swept
    for table in ("sessions", "participants", "session_tokens"):
        column = "id" if table == "sessions" else "session_id"
        count = await db.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", expired.id)
        assert count == 0, table
    assert await cache.exists(session_key(expired.id, "probe")) == 0
    assert await cache.exists(session_key(alive.id, "probe")) == 1
    response = await client.get(f"/api/v1/sessions/{expired.id}", headers=bearer(expired.token))
    await expect_error(response, 404, "SESSION_NOT_FOUND")
    ok = await client.get(f"/api/v1/sessions/{alive.id}", headers=bearer(alive.token))
    assert ok.status == 200


async def test_only_one_process_sweeps_at_a_time(client, db, backing):
    room = await create_room(client)
    await _expire(db, room.id)
    holder = await asyncpg.connect(backing.database_url)
    try:
        async with holder.transaction():
            await holder.execute("SELECT pg_advisory_xact_lock($1)", SWEEP_LOCK)
            skipped = await sweep_expired_sessions(client.app[POOL], client.app[REDIS], now_ms())
            assert skipped is None
            assert await db.fetchval("SELECT count(*) FROM sessions WHERE id = $1", room.id) == 1
    finally:
        await holder.close()
    swept = await sweep_expired_sessions(client.app[POOL], client.app[REDIS], now_ms())
    assert swept is not None and room.id in swept


async def test_concurrent_sweeps_do_not_both_run(client, db):
    rooms = [await create_room(client) for _ in range(3)]
    for room in rooms:
        await _expire(db, room.id)
    pool, cache = client.app[POOL], client.app[REDIS]
    results = await asyncio.gather(
        *(sweep_expired_sessions(pool, cache, now_ms()) for _ in range(4))
    )
    ran = [result for result in results if result is not None]
    swept = [session_id for result in ran for session_id in result]
    assert all(swept.count(room.id) == 1 for room in rooms)


async def test_scheduled_sweep_runs_on_its_interval(aiohttp_client, settings, db):
    from server.app import create_app

    client = await aiohttp_client(create_app(settings.model_copy(update={"sweep_interval": 1})))
    room = await create_room(client)
    await _expire(db, room.id)
    for _ in range(40):
        if await db.fetchval("SELECT count(*) FROM sessions WHERE id = $1", room.id) == 0:
            break
        await asyncio.sleep(0.1)
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE id = $1", room.id) == 0


async def test_duet_sweep_command(client, db, backing):
    room = await create_room(client)
    await _expire(db, room.id)
    environment = {
        **os.environ,
        "DUET_DATABASE_URL": backing.database_url,
        "DUET_REDIS_URL": backing.redis_url,
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server.cli", "sweep"],
        env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "swept" in result.stdout
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE id = $1", room.id) == 0


async def test_duet_migrate_is_safe_to_run_twice(backing, db):
    environment = {
        **os.environ,
        "DUET_DATABASE_URL": backing.database_url,
        "DUET_REDIS_URL": backing.redis_url,
    }
    outputs = []
    for _ in range(2):
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "server.cli", "migrate"],
            env=environment, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert "none needed" in outputs[1]
    versions = await db.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [row["version"] for row in versions][:3] == ["001_sessions", "002_documents", "003_runs"]


async def test_the_sweep_forgets_spent_credentials_and_old_deliveries(client, db):
    account = await register(client)
    me = await client.get("/api/v1/auth/me", headers=account.headers)
    assert me.status == 200
    await db.execute("UPDATE refresh_tokens SET expires_at = 1")
    organization = (await me.json())["data"]["organization"]["id"]
    webhook = await db.fetchval(
        "INSERT INTO webhooks (id, organization_id, url, events, secret, created_at)"
        " VALUES (gen_random_uuid(), $1, 'https://example.com', '{session.created}', 'whsec_x',"
        " 0) RETURNING id", uuid.UUID(organization),
    )  # fmt: skip
    now = now_ms()
    for message_id, status, created_at in (
        ("msg_old_done", "delivered", now - DELIVERY_RETENTION_MS - 1),
        ("msg_old_pending", "pending", now - DELIVERY_RETENTION_MS - 1),
        ("msg_recent_done", "failed", now - 1000),
    ):  # fmt: skip
        await db.execute(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, status, created_at,"
            " next_attempt_at) VALUES ($1, $2, 'session.created', '{}', $3, $4, $5)",
            message_id, webhook, status, created_at, now + 3_600_000,
        )  # fmt: skip
    assert await sweep_expired_sessions(client.app[POOL], client.app[REDIS], now) is not None
    await expect_error(
        await client.get("/api/v1/auth/me", headers=account.headers), 401, "UNAUTHORIZED"
    )
    left = await db.fetch("SELECT id FROM webhook_deliveries WHERE webhook_id = $1", webhook)
    assert sorted(row["id"] for row in left) == ["msg_old_pending", "msg_recent_done"]
    await db.execute("DELETE FROM webhooks WHERE id = $1", webhook)
