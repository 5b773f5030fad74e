"""Health checks, each in its API's shape (v1 or DevPocket) (not wrapped in the envelope)."""

from __future__ import annotations

import asyncio
import datetime
import os
import time

import psutil
from aiohttp import web

from schema.clock import now_ms
from server.http.responses import json_response
from server.state import POOL, REDIS, RUNS, SETTINGS, STARTED_AT

routes = web.RouteTableDef()

VERSION = "0.1.0"
_CHECK_TIMEOUT = 2.0


async def _check(probe: asyncio.Future[object] | object) -> str:
    try:
        await asyncio.wait_for(probe, _CHECK_TIMEOUT)  # type: ignore[arg-type]
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


async def backing_service_checks(app: web.Application) -> dict[str, str]:
    database, cache = await asyncio.gather(
        _check(app[POOL].fetchval("SELECT 1")), _check(app[REDIS].ping())
    )
    return {"database": database, "redis": cache}


@routes.get("/api/v1/health")
async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "timestamp": now_ms()})


@routes.get("/health/live")
async def live(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "timestamp": now_ms()})


@routes.get("/health/ready")
async def ready(request: web.Request) -> web.Response:
    checks = await backing_service_checks(request.app)
    is_ready = all(value == "ok" for value in checks.values())
    return json_response(
        {"status": "ready" if is_ready else "not_ready", "checks": checks, "timestamp": now_ms()},
        status=200 if is_ready else 503,
    )


@routes.get("/api/v1/health/detailed")
async def detailed(request: web.Request) -> web.Response:
    app = request.app
    checks = await backing_service_checks(app)
    memory = psutil.virtual_memory()
    megabyte = 1024 * 1024
    healthy = all(value == "ok" for value in checks.values())
    return json_response(
        {
            "status": "healthy" if healthy else "degraded",
            "timestamp": datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z"),
            "uptime": int((time.monotonic() - app[STARTED_AT]) * 1000),
            "environment": app[SETTINGS].environment,
            "version": VERSION,
            "system": {
                "memory": {
                    "used": round(memory.used / megabyte, 2),
                    "total": round(memory.total / megabyte, 2),
                    "percent": memory.percent,
                    "unit": "MB",
                },
                "cpu": {
                    "usage_percent": psutil.cpu_percent(interval=None),
                    "count": os.cpu_count() or 1,
                },
                "platform": os.name,
            },
            "checks": checks,
            "warnings": list(app[RUNS].warnings) if RUNS in app else [],
            "message": "Detailed Duet server health information",
        },
        status=200 if healthy else 503,
    )
