"""An access log that never writes a secret.

aiohttp's default line includes the full query string, and invite links and WebSocket
URLs carry tokens there (`?invite=…`, `?token=…`).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

SECRET_PARAMETERS = frozenset({"token", "invite", "access_token", "refresh_token"})


def redacted_path(request: web.BaseRequest) -> str:
    query = request.rel_url.query
    if not query:
        return request.path
    parts = [
        f"{key}={'[redacted]' if key.lower() in SECRET_PARAMETERS else value}"
        for key, value in query.items()
    ]
    return f"{request.path}?{'&'.join(parts)}"


class RedactingAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %d %.1fms',
            request.remote,
            request.method,
            redacted_path(request),
            response.status,
            time * 1000,
        )
