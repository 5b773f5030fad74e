"""The v1 API's error codes and the one exception type that carries them.

Handlers raise `ApiError`; one middleware turns it into
`{"success": false, "error": "...", "code": "..."}` with the matching status.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_REQUEST = "INVALID_REQUEST"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    PARTICIPANT_NOT_FOUND = "PARTICIPANT_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CONFLICT = "CONFLICT"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    RUN_IN_PROGRESS = "RUN_IN_PROGRESS"
    RUN_NOT_FOUND = "RUN_NOT_FOUND"
    TEST_RUN_NOT_FOUND = "TEST_RUN_NOT_FOUND"
    SESSION_ENDED = "SESSION_ENDED"
    RATE_LIMITED = "RATE_LIMITED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    API_TOKEN_NOT_FOUND = "API_TOKEN_NOT_FOUND"
    WEBHOOK_NOT_FOUND = "WEBHOOK_NOT_FOUND"
    EVALUATION_NOT_FOUND = "EVALUATION_NOT_FOUND"
    NOTE_NOT_FOUND = "NOTE_NOT_FOUND"
    QUESTION_NOT_FOUND = "QUESTION_NOT_FOUND"
    TEMPLATE_NOT_FOUND = "TEMPLATE_NOT_FOUND"


class RealtimeCode(StrEnum):
    """Codes of the realtime doors' `error` events that no REST answer uses (the others, such
    as PAYLOAD_TOO_LARGE or SESSION_ENDED, are `ErrorCode`s)."""

    INVALID_MESSAGE = "INVALID_MESSAGE"
    UNKNOWN_EVENT = "UNKNOWN_EVENT"
    INVALID_UPDATE = "INVALID_UPDATE"
    DISCONNECTED = "DISCONNECTED"


STATUS_OF: dict[ErrorCode, int] = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.SESSION_NOT_FOUND: 404,
    ErrorCode.PARTICIPANT_NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CONFLICT: 409,
    ErrorCode.SESSION_EXPIRED: 410,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.RUN_IN_PROGRESS: 409,
    ErrorCode.RUN_NOT_FOUND: 404,
    ErrorCode.TEST_RUN_NOT_FOUND: 404,
    ErrorCode.SESSION_ENDED: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.API_TOKEN_NOT_FOUND: 404,
    ErrorCode.WEBHOOK_NOT_FOUND: 404,
    ErrorCode.EVALUATION_NOT_FOUND: 404,
    ErrorCode.NOTE_NOT_FOUND: 404,
    ErrorCode.QUESTION_NOT_FOUND: 404,
    ErrorCode.TEMPLATE_NOT_FOUND: 404,
}


class ApiError(Exception):
    """An error the client should see, with the v1 API's code and message."""

    def __init__(
        self, code: ErrorCode, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # e.g. Retry-After on a 429
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return STATUS_OF[self.code]


def invalid(message: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_REQUEST, message)
