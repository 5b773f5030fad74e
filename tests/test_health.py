"""Health checks in their seeds' shapes; readiness follows Postgres and Redis."""

from __future__ import annotations

import asyncio
import time

import pgserver

from server.app import create_app
from server.embedded import start_embedded


async def test_health_is_the_seed_shape(client):
    response = await client.get("/api/v1/health")
    body = await response.json()
    assert response.status == 200
    assert body.keys() == {"status", "timestamp"} and body["status"] == "ok"
    assert abs(body["timestamp"] - time.time() * 1000) < 60_000


async def test_live_and_ready(client):
    live = await client.get("/health/live")
    assert live.status == 200 and (await live.json())["status"] == "ok"
    ready = await client.get("/health/ready")
    body = await ready.json()
    assert ready.status == 200
    assert body["status"] == "ready" and body["checks"] == {"database": "ok", "redis": "ok"}


async def test_detailed_has_memory_cpu_platform(client):
    response = await client.get("/api/v1/health/detailed")
    body = await response.json()
    assert response.status == 200
    assert body["status"] == "healthy"
    memory = body["system"]["memory"]
    assert memory["unit"] == "MB" and 0 < memory["used"] <= memory["total"]
    assert 0 <= memory["percent"] <= 100
    assert body["system"]["cpu"]["count"] >= 1 and "usage_percent" in body["system"]["cpu"]
    assert body["system"]["platform"] == "posix"
    assert body["timestamp"].endswith("Z") and body["uptime"] >= 0
    assert body["environment"] == "development" and body["version"]


async def test_ready_is_503_when_redis_is_down(aiohttp_client, settings, tmp_path):
    missing = settings.model_copy(update={"redis_url": f"unix://{tmp_path}/no-redis.sock"})
    client = await aiohttp_client(create_app(missing))
    response = await client.get("/health/ready")
    body = await response.json()
    assert response.status == 503
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] != "ok"
    detailed = await client.get("/api/v1/health/detailed")
    assert detailed.status == 503 and (await detailed.json())["status"] == "degraded"


async def test_ready_is_503_when_postgres_goes_down(aiohttp_client, settings, data_root):
    services = await asyncio.to_thread(
        start_embedded, data_root / "own", postgres=True, redis=False
    )
    try:
        app = create_app(settings.model_copy(update={"database_url": services.database_url}))
        client = await aiohttp_client(app)
        assert (await client.get("/health/ready")).status == 200
        server = pgserver.get_server(data_root / "own" / "postgres")
        await asyncio.to_thread(server.cleanup)
        response = await client.get("/health/ready")
        body = await response.json()
        assert response.status == 503
        assert body["checks"]["database"] != "ok" and body["checks"]["redis"] == "ok"
        # A request that needs the database says the service is unavailable, not 500.
        created = await client.post(
            "/api/v1/sessions",
            json={"creator": {"id": "550e8400-e29b-41d4-a716-446655440000", "name": "A",
                              "color": "red"}},
        )  # fmt: skip
        assert created.status == 503
        assert (await created.json())["code"] == "SERVICE_UNAVAILABLE"
    finally:
        services.stop()
