"""Kubernetes API failures as RunnerError the room can read, and the retries the API asks for.

Retried: 429 and 5xx (the API server or etcd busy; honouring Retry-After, bounded), and a
connection that failed or timed out. Not retried: 401/403 (configuration, stays wrong),
422 (our request is wrong). A caller that handles a status itself (404, 409) passes it in
`passthrough` and gets the ApiException back unchanged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import TypeVar

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException

from runner.errors import RunnerError

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 3
BASE_DELAY_S = 0.05
MAX_RETRY_AFTER_S = 2.0
# Per attempt: an API server that accepts the connection and never answers is a failure
# like any other, not a hang.
REQUEST_TIMEOUT_S = 15.0


def api_message(error: ApiException) -> str:
    """The Status object's message, or the HTTP reason when the body is not one."""
    try:
        body = json.loads(error.body or "{}")
    except (TypeError, ValueError):
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or error.reason or f"HTTP {error.status}")


def _retry_after(error: ApiException) -> float | None:
    value = (error.headers or {}).get("Retry-After")
    if value is None or not str(value).isdigit():
        return None
    return min(float(value), MAX_RETRY_AFTER_S)


def as_runner_error(error: BaseException, action: str, host: str) -> RunnerError:
    if isinstance(error, ApiException):
        status = error.status
        detail = api_message(error)
        if status in (401, 403):
            word = "Unauthorized" if status == 401 else "Forbidden"
            return RunnerError(
                f"Kubernetes refused to {action} ({status} {word}): "
                f"{detail}. The server's service account needs the Role in "
                "deploy/kubernetes/ (pods, pods/exec, pods/log).",
                "Forbidden" if status == 403 else "Unauthorized",
            )
        if status == 409:
            return RunnerError(f"could not {action}: conflict (409): {detail}", "Conflict")
        if status in RETRY_STATUSES:
            return RunnerError(
                f"the Kubernetes API failed to {action} ({status}, after {ATTEMPTS} attempts): "
                f"{detail}",
                "ApiUnavailable",
            )
        return RunnerError(f"could not {action} ({status}): {detail}", f"Http{status}")
    if isinstance(error, aiohttp.WSServerHandshakeError):
        return RunnerError(
            f"could not {action}: the API server refused the exec stream ({error.status}: "
            f"{error.message})",
            "ExecRefused",
        )
    return RunnerError(
        f"cannot reach the Kubernetes API at {host} to {action}: {type(error).__name__}: {error}",
        "ApiUnreachable",
    )


def _retryable(error: BaseException) -> bool:
    if isinstance(error, ApiException | aiohttp.WSServerHandshakeError):
        return error.status in RETRY_STATUSES
    return isinstance(error, aiohttp.ClientConnectionError | TimeoutError)


async def call(
    action: str,
    host: str,
    request: Callable[[], Awaitable[T]],
    *,
    passthrough: Collection[int] = (),
    attempts: int = ATTEMPTS,
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> T:
    """`request()` with retries; any failure left becomes a RunnerError naming `action`."""
    for attempt in range(1, attempts + 1):
        try:
            async with asyncio.timeout(timeout_s):
                return await request()
        except ApiException as error:
            if error.status in passthrough:
                raise
            if not _retryable(error) or attempt == attempts:
                raise as_runner_error(error, action, host) from error
            delay = _retry_after(error) or BASE_DELAY_S * 3 ** (attempt - 1)
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            if not _retryable(error) or attempt == attempts:
                raise as_runner_error(error, action, host) from error
            delay = BASE_DELAY_S * 3 ** (attempt - 1)
        log.info(
            "Kubernetes API: %s failed (attempt %d), retrying in %.2fs", action, attempt, delay
        )
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")
