"""`GET /metrics`: this node's figures for Prometheus (`server/metrics.py`).

Off unless `DUET_METRICS_TOKEN` is set; then the scrape must bring it as a bearer token.
The token is compared by its digest, in constant time, and never logged.
"""

from __future__ import annotations

import hmac

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from schema.errors import ApiError, ErrorCode
from server.auth.secret_tokens import bearer_token, token_digest
from server.state import METRICS, POOL, REDIS, SETTINGS

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    expected = request.app[SETTINGS].metrics_token
    if not expected:
        raise ApiError(ErrorCode.NOT_FOUND, "Metrics are off: set DUET_METRICS_TOKEN")
    given = bearer_token(request.headers.get("Authorization"))
    if given is None or not hmac.compare_digest(token_digest(given), token_digest(expected)):
        raise ApiError(ErrorCode.UNAUTHORIZED, "GET /metrics needs the metrics token")
    figures = request.app[METRICS]
    await figures.measure(request.app[POOL], request.app[REDIS])
    return web.Response(body=figures.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})
