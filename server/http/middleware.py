"""The two middlewares every request passes: errors in the v1 API's shape, and CORS."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from schema.errors import ApiError, ErrorCode
from server.backing_services import UNREACHABLE
from server.http.responses import error_response
from server.routes.pages import not_found_page, wants_page
from server.state import SETTINGS

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: ErrorCode.INVALID_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        response = error_response(error.code, error.message)
        response.headers.update(error.headers)
        return response
    except web.RequestPayloadError as error:
        return _unreadable_body(request, error)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = _HTTP_CODES.get(
            error.status,
            ErrorCode.INVALID_REQUEST if error.status < 500 else ErrorCode.INTERNAL_ERROR,
        )
        if error.status == 404 and wants_page(request):
            return not_found_page(request)
        message = "Not found" if error.status == 404 else error.reason
        return error_response(code, message, status=error.status)
    except UNREACHABLE:
        log.exception("backing service unavailable during %s %s", request.method, request.path)
        return error_response(ErrorCode.SERVICE_UNAVAILABLE, "A backing service is unavailable")
    except Exception:
        # request.path, never the query string or headers: those can carry tokens.
        log.exception("unhandled error during %s %s", request.method, request.path)
        return error_response(ErrorCode.INTERNAL_ERROR, "Internal server error")


def _unreadable_body(request: web.Request, error: web.RequestPayloadError) -> web.Response:
    """400 for a body aiohttp could not decode (a corrupt gzip or deflate, a broken chunk).

    The client's fault, so no traceback: an unauthenticated client could flood the log.
    The parser cannot go on with this connection, so it closes after the answer; marking
    the body finished keeps aiohttp from draining it again, which would raise the same
    error once more outside any handler."""
    request.content.feed_eof()
    reason = str(error).replace("\n", " ").split("message:", 1)[-1].strip()
    response = error_response(
        ErrorCode.INVALID_REQUEST, f"The request body could not be read: {reason}"
    )
    response.force_close()
    return response


_ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
_EXPOSED_HEADERS = "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    origins = request.app[SETTINGS].cors_origins
    origin = request.headers.get("Origin")
    allowed = origin is not None and ("*" in origins or origin in origins)
    preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
    if preflight and allowed:
        response: web.StreamResponse = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
        response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    else:
        response = await handler(request)
    if allowed and not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = origin or ""
        response.headers["Access-Control-Expose-Headers"] = _EXPOSED_HEADERS
        response.headers.add("Vary", "Origin")
    return response
