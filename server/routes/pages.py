"""The web app's pages: `/` (create an interview) and `/s/{id}` (join, then the room), one
HTML shell around the bundle that `make install` builds into `server/static/app/`.

`/s/{id}` looks the session up first, so a link to a session that never existed or has
expired answers 404 / 410 with a page that says so, readable even before the script runs.
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path

from aiohttp import web

from schema.errors import ApiError
from server.clock import now_ms
from server.requests import session_id_param
from server.sessions import session_expiry
from server.state import POOL

routes = web.RouteTableDef()

_ASSETS = ("app.js", "app.css", "app.js.map", "app.css.map")

PROBLEMS = {
    "SESSION_NOT_FOUND": ("Interview not found", "This interview does not exist, or was deleted."),
    "SESSION_EXPIRED": ("Interview expired", "This interview has ended: sessions last 24 hours."),
    "NOT_BUILT": ("Web app not built", "Run `make install` to build the web app, then reload."),
}

_SHELL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<div id="app"{problem_attr}>{fallback}</div>
<noscript>Duet needs JavaScript to run the interview room.</noscript>
</body>
</html>
"""


def bundle_dir() -> Path:
    return Path(str(resources.files("server") / "static" / "app"))


def shell(status: int = 200, problem: str | None = None) -> web.Response:
    if problem is None and not (bundle_dir() / "app.js").is_file():
        problem, status = "NOT_BUILT", 503
    if problem is None:
        title, fallback, problem_attr = "Duet", "", ""
    else:
        heading, text = PROBLEMS[problem]
        title = f"Duet — {heading}"
        fallback = f"<main><h1>{html.escape(heading)}</h1><p>{html.escape(text)}</p></main>"
        problem_attr = f' data-problem="{problem}"'
    page = _SHELL.format(title=html.escape(title), fallback=fallback, problem_attr=problem_attr)
    return web.Response(
        text=page,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-cache", "X-Frame-Options": "DENY"},
    )


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    return shell()


@routes.get("/s/{session_id}")
async def session_page(request: web.Request) -> web.Response:
    try:
        session_id = session_id_param(request)
    except ApiError:
        return shell(404, "SESSION_NOT_FOUND")
    expires_at = await session_expiry(request.app[POOL], session_id)
    if expires_at is None:
        return shell(404, "SESSION_NOT_FOUND")
    if expires_at <= now_ms():
        return shell(410, "SESSION_EXPIRED")
    return shell()


@routes.get("/assets/{name}")
async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = bundle_dir() / name
    if name not in _ASSETS or not path.is_file():
        raise web.HTTPNotFound(text="Not found")
    # Revalidated on every load (ETag / Last-Modified): a new build is picked up at once,
    # an unchanged one costs a 304.
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})
