"""The v1 API's envelope: `{"success": true, "data": ...}` and its error twin."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from schema.errors import STATUS_OF, ErrorCode
from schema.models import jsonable


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=jsonable)


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=_dumps(body), status=status, content_type="application/json")


def envelope(data: Any, status: int = 200, **extra: Any) -> web.Response:
    return json_response({"success": True, "data": data, **extra}, status=status)


def error_response(code: ErrorCode, message: str, status: int | None = None) -> web.Response:
    return json_response(
        {"success": False, "error": message, "code": code.value},
        status=status or STATUS_OF[code],
    )
