"""The web app's pages: `/` (create an interview), `/s/{id}` (join, then the room) and the
question bank (`/questions`, `/questions/new`, `/questions/{id}`), one HTML shell around
the bundle that `make install` builds into `server/static/app/`.

`/s/{id}` looks the session up first, so a link to a session that never existed or has
expired answers 404 / 410 with a page that says so, readable even before the script runs.
"""

from __future__ import annotations

import html
import re
from importlib import resources
from pathlib import Path

from aiohttp import web

from schema.clock import now_ms
from schema.errors import ApiError
from server.http.requests import session_id_param
from server.sessions import invite_exists, session_expiry
from server.state import POOL, SETTINGS

routes = web.RouteTableDef()

_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_ASSETS = ("app.js", "app.css", "app.js.map", "app.css.map")

PROBLEMS = {
    "SESSION_NOT_FOUND": ("Interview not found", "This interview does not exist, or was deleted."),
    "SESSION_EXPIRED": (
        "Interview expired",
        "This interview has ended: interview links last {ttl}.",
    ),
    "UNAUTHORIZED": (
        "Link not valid",
        "This invite link is not valid any more. Ask the interviewer for a new one.",
    ),
    "PAGE_NOT_FOUND": ("Page not found", "There is no page at this address."),
    "NOT_BUILT": ("Web app not built", "Run `make install` to build the web app, then reload."),
}


def duration_words(seconds: int) -> str:
    """`DUET_SESSION_TTL` as a person says it: "24 hours", "90 minutes", "1 day"."""
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


_SHELL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<div id="app" data-session-ttl="{ttl}"{problem_attr}>{fallback}</div>
<noscript>Duet needs JavaScript to run the interview room.</noscript>
</body>
</html>
"""


def bundle_dir() -> Path:
    return Path(str(resources.files("server") / "static" / "app"))


def shell(request: web.Request, status: int = 200, problem: str | None = None) -> web.Response:
    if problem is None and not (bundle_dir() / "app.js").is_file():
        problem, status = "NOT_BUILT", 503
    ttl = duration_words(request.app[SETTINGS].session_ttl)
    if problem is None:
        title, fallback, problem_attr = "Duet", "", ""
    else:
        heading, text = PROBLEMS[problem]
        text = text.format(ttl=ttl)
        title = f"Duet — {heading}"
        fallback = f"<main><h1>{html.escape(heading)}</h1><p>{html.escape(text)}</p></main>"
        problem_attr = f' data-problem="{problem}"'
    page = _SHELL.format(
        title=html.escape(title), fallback=fallback, problem_attr=problem_attr, ttl=ttl
    )
    return web.Response(
        text=page,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-cache", "X-Frame-Options": "DENY"},
    )


def wants_page(request: web.Request) -> bool:
    """A browser navigating (it asks for HTML), not an API client: it gets a page."""
    return "text/html" in request.headers.get("Accept", "") and not request.path.startswith(
        ("/api/", "/socket.io/", "/yjs/", "/ws/")
    )


def not_found_page(request: web.Request) -> web.Response:
    return shell(request, 404, "PAGE_NOT_FOUND")


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    return shell(request)


@routes.get("/questions")
async def questions_page(request: web.Request) -> web.Response:
    return shell(request)


@routes.get("/questions/{question_id}")
async def question_page(request: web.Request) -> web.Response:
    """The question editor: `new`, or a question's id. The bank is read by the page with
    the signed-in account's token, so a question of another organization is the page's
    404, not this shell's."""
    question_id = request.match_info["question_id"]
    if question_id != "new" and not _UUID.match(question_id):
        return not_found_page(request)
    return shell(request)


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.StreamResponse:
    icon = Path(str(resources.files("server") / "static" / "favicon.svg"))
    return web.FileResponse(
        icon, headers={"Content-Type": "image/svg+xml", "Cache-Control": "max-age=86400"}
    )


@routes.get("/s/{session_id}")
async def session_page(request: web.Request) -> web.Response:
    try:
        session_id = session_id_param(request)
    except ApiError:
        return shell(request, 404, "SESSION_NOT_FOUND")
    expires_at = await session_expiry(request.app[POOL], session_id)
    if expires_at is None:
        return shell(request, 404, "SESSION_NOT_FOUND")
    if expires_at <= now_ms():
        return shell(request, 410, "SESSION_EXPIRED")
    invite = request.query.get("invite")
    if invite is not None and not await invite_exists(request.app[POOL], session_id, invite):
        # Said before anyone types a name for a link that could never let them in.
        return shell(request, 401, "UNAUTHORIZED")
    return shell(request)


@routes.get("/assets/{name}")
async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = bundle_dir() / name
    if name not in _ASSETS or not path.is_file():
        raise web.HTTPNotFound(text="Not found")
    # Revalidated on every load (ETag / Last-Modified): a new build is picked up at once,
    # an unchanged one costs a 304.
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})
