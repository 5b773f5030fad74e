"""`GET /api/v1/languages`: every session language, its version here, whether it runs
(with the Kubernetes runner: whether it has an image, the version from the image tag)."""

from __future__ import annotations

from aiohttp import web

from runner.kubernetes.backend import KubernetesSandbox
from runner.languages import detect_languages
from server.responses import envelope
from server.state import RUNS

routes = web.RouteTableDef()


@routes.get("/api/v1/languages")
async def list_languages(request: web.Request) -> web.Response:
    sandbox = request.app[RUNS].sandbox if RUNS in request.app else None
    if isinstance(sandbox, KubernetesSandbox):
        # Code runs in the languages' images, not with this machine's toolchains.
        return envelope([info.model_dump() for info in sandbox.languages()])
    return envelope([info.model_dump() for info in await detect_languages()])
