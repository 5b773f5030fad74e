"""Fixed-window rate limits in Redis, shared by every server process.

Each request is counted in the buckets that apply to it (auth calls per IP, joins per IP,
the general API per token or per IP); handlers may count it in more (login attempts per
account). The tightest bucket's numbers go out as `X-RateLimit-*` headers; over a limit the
answer is 429 `RATE_LIMITED` with `Retry-After`.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from schema import keys
from schema.errors import ApiError, ErrorCode
from server.http.requests import request_token
from server.state import METRICS, RATE_COUNTER, SETTINGS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_VERDICTS = web.RequestKey("rate_limit_verdicts", list)
_AUTH_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/refresh"})
_UNLIMITED_PREFIXES = ("/api/v1/health", "/api/v1/openapi.json")


@dataclass(frozen=True)
class Verdict:
    limit: int
    count: int
    reset_in_ms: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    def headers(self) -> dict[str, str]:
        reset_at = math.ceil(time.time() + self.reset_in_ms / 1000)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(reset_at),
        }


def client_ip(request: web.Request) -> str:
    return request.remote or "unknown"


def _key_part(value: str) -> str:
    # Never a raw token (or a raw login name) in Redis: a digest keys the bucket as well.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


async def enforce(request: web.Request, bucket: str, key: str, limit: int) -> Verdict:
    """Count this request in `bucket` for `key`; 429 when it is over the limit."""
    window_ms = request.app[SETTINGS].rate_limit_window * 1000
    redis_key = keys.rate_limit_bucket(bucket, _key_part(key))
    count, ttl = await request.app[RATE_COUNTER].hit(redis_key, window_ms)
    verdict = Verdict(limit, int(count), int(ttl))
    request.setdefault(_VERDICTS, []).append(verdict)
    if not verdict.allowed:
        request.app[METRICS].http_refusals[bucket] += 1
        retry_after = max(1, math.ceil(verdict.reset_in_ms / 1000))
        raise ApiError(
            ErrorCode.RATE_LIMITED,
            f"Too many requests; retry in {retry_after} s",
            headers={**verdict.headers(), "Retry-After": str(retry_after)},
        )
    return verdict


async def _count_request(request: web.Request) -> None:
    path = request.path
    if not path.startswith("/api/v1/") or path.startswith(_UNLIMITED_PREFIXES):
        return
    settings = request.app[SETTINGS]
    ip = client_ip(request)
    if path in _AUTH_PATHS:
        await enforce(request, "auth-ip", ip, settings.rate_limit_auth)
        return
    token = request_token(request)
    is_join = request.method == "POST" and path.endswith("/join")
    anonymous_create = request.method == "POST" and path == "/api/v1/sessions" and not token
    if is_join or anonymous_create:
        await enforce(request, "join-ip", ip, settings.rate_limit_join)
        return
    await enforce(request, "api", f"token:{token}" if token else f"ip:{ip}",
                  settings.rate_limit_api)  # fmt: skip


def _tightest(request: web.Request) -> Verdict | None:
    verdicts: list[Verdict] = request.get(_VERDICTS, [])
    return min(verdicts, key=lambda verdict: verdict.remaining, default=None)


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        await _count_request(request)
        response = await handler(request)
    except ApiError as error:
        tightest = _tightest(request)
        if tightest is not None and error.code != ErrorCode.RATE_LIMITED:
            error.headers = {**tightest.headers(), **error.headers}
        raise
    tightest = _tightest(request)
    if tightest is not None and not response.prepared:
        response.headers.update(tightest.headers())
    return response
