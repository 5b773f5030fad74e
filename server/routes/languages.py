"""`GET /api/v1/languages`: every session language, its version here, whether it runs."""

from __future__ import annotations

from aiohttp import web

from runner.languages import detect_languages
from server.responses import envelope

routes = web.RouteTableDef()


@routes.get("/api/v1/languages")
async def list_languages(request: web.Request) -> web.Response:
    return envelope([info.model_dump() for info in await detect_languages()])
