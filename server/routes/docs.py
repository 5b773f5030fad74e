"""`/api/v1/openapi.json` and the `/docs` page that renders it (served from the package)."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from server.http.openapi import openapi_document
from server.http.responses import json_response

routes = web.RouteTableDef()


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document())


@routes.get("/docs")
async def docs(request: web.Request) -> web.Response:
    page = (resources.files("server") / "static" / "docs.html").read_text("utf-8")
    return web.Response(text=page, content_type="text/html")
