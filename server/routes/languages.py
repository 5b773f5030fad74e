"""`GET /api/v1/languages`: every session language, its version here, whether it runs
(with the Kubernetes runner: whether it has an image, the version from the image tag)."""

from __future__ import annotations

from aiohttp import web

from runner.languages import detect_languages
from server.http.responses import envelope
from server.state import RUNS

routes = web.RouteTableDef()


@routes.get("/api/v1/languages")
async def list_languages(request: web.Request) -> web.Response:
    # The backend's own answer: with Kubernetes, the languages' images, not this machine's
    # toolchains.
    found = (
        await request.app[RUNS].sandbox.languages()
        if RUNS in request.app
        else await detect_languages()
    )
    return envelope([info.model_dump() for info in found])
