"""Reading requests: path parameters, bearer tokens and JSON bodies, each failing as a 4xx."""

from __future__ import annotations

import re
from typing import TypeVar
from uuid import UUID

from aiohttp import web
from pydantic import BaseModel, ValidationError

from schema.errors import ApiError, ErrorCode, invalid
from server.auth.secret_tokens import bearer_token

Model = TypeVar("Model", bound=BaseModel)

_SESSION_ID = re.compile(r"[0-9a-f]{8}")


def session_id_param(request: web.Request) -> str:
    session_id = request.match_info["session_id"]
    if not _SESSION_ID.fullmatch(session_id):
        raise invalid("sessionId must be 8 lowercase hex characters, e.g. 'abc12345'")
    return session_id


def participant_id_param(request: web.Request) -> UUID:
    raw = request.match_info["participant_id"]
    try:
        return UUID(raw)
    except ValueError:
        raise invalid("participantId must be a UUID") from None


def uuid_param(request: web.Request, name: str, label: str) -> UUID:
    try:
        return UUID(request.match_info[name])
    except ValueError:
        raise invalid(f"{label} must be a UUID") from None


def page_limit(request: web.Request, default: int = 20, maximum: int = 100) -> int:
    raw = request.query.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise invalid(f"limit must be an integer from 1 to {maximum}")
    return int(raw)


def numeric_cursor(request: web.Request) -> int | None:
    raw = request.query.get("cursor")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise invalid("cursor must be the nextCursor of a previous page")
    return int(raw)


def request_token(request: web.Request) -> str | None:
    return bearer_token(request.headers.get("Authorization"))


def describe_validation_error(error: ValidationError) -> str:
    problems: list[str] = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"])
        kind = item["type"]
        if kind == "json_invalid":
            problems.append(f"Malformed JSON: {item['msg'].removeprefix('Invalid JSON: ')}")
        elif kind == "extra_forbidden":
            problems.append(f"unknown field '{where}'")
        elif kind == "missing":
            problems.append(f"'{where}' is required")
        elif kind == "model_type" and not where:
            problems.append("the body must be a JSON object")
        else:
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"'{where}': {message}" if where else message)
    return "Invalid request: " + "; ".join(problems)


async def read_json(request: web.Request, model: type[Model]) -> Model:
    if not request.body_exists:
        raise invalid("A JSON request body is required")
    content_type = request.content_type
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type must be application/json, not '{content_type}'",
        )
    if request.charset not in (None, "utf-8", "utf8"):
        raise ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "JSON bodies must be UTF-8")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, "Request body is too large") from None
    if not raw.strip():
        raise invalid("A JSON request body is required")
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise invalid(describe_validation_error(error)) from None


def check_size(name: str, value: str, limit: int) -> str:
    """413 when `value` is more than `limit` bytes of UTF-8."""
    size = len(value.encode("utf-8"))
    if size > limit:
        raise ApiError(
            ErrorCode.PAYLOAD_TOO_LARGE, f"{name} is {size} bytes; the limit is {limit} bytes"
        )
    return value


def page_params(
    request: web.Request, default: int = 20, maximum: int = 100
) -> tuple[int, int | None]:
    """`limit` and `cursor` of a list paged by a `seq` column (newest first)."""
    raw_limit = request.query.get("limit", str(default))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= maximum:
        raise invalid(f"limit must be an integer from 1 to {maximum}")
    raw_cursor = request.query.get("cursor")
    if raw_cursor is None:
        return int(raw_limit), None
    if not raw_cursor.isdigit() or len(raw_cursor) > 18:
        raise invalid("cursor must be the nextCursor of a previous page")
    return int(raw_limit), int(raw_cursor)
