"""A session's runtime (its pod, with the Kubernetes runner): read, restart, stop.

The local sandboxes keep nothing between runs, so they report `"state": "local"` and
refuse restart and stop (409 CONFLICT).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from collab.room import Room
from runner.errors import RunnerError
from runner.languages import get_language
from runner.sandbox import Sandbox, SessionContext
from schema import keys
from schema.errors import ApiError, ErrorCode
from schema.events import PodFailed
from server.runs.manager import RunManager

log = logging.getLogger(__name__)

# Restarts in flight on this node, kept so they are not garbage-collected mid-way.
_restarts: set[asyncio.Task[None]] = set()


def _session_sandbox(manager: RunManager) -> Sandbox:
    if not manager.sandbox.keeps_sessions:
        raise ApiError(
            ErrorCode.CONFLICT,
            f"The {manager.sandbox.name} runner keeps no runtime between runs; "
            "only DUET_RUNNER=kubernetes has a per-session pod to restart or stop",
        )
    return manager.sandbox


def _unavailable(error: RunnerError) -> ApiError:
    return ApiError(ErrorCode.SERVICE_UNAVAILABLE, error.message)


async def describe(manager: RunManager, session_id: str) -> dict[str, Any]:
    try:
        return await manager.sandbox.describe_session(session_id)
    except RunnerError as error:
        raise _unavailable(error) from None


async def _refuse_during_run(manager: RunManager, session_id: str) -> None:
    if await manager.cache.exists(keys.run_lock(session_id)):
        raise ApiError(
            ErrorCode.RUN_IN_PROGRESS,
            "A run is in progress in this session; cancel it or wait before changing its pod",
        )


async def restart(manager: RunManager, room: Room, language: str) -> dict[str, Any]:
    """Delete the session's pod and start a fresh one in the background; its progress
    reaches the room as pod_* events. Answers with the runtime as it is now."""
    sandbox = _session_sandbox(manager)
    await _refuse_during_run(manager, room.session_id)
    if not await manager.runnable_here(language):
        raise ApiError(ErrorCode.INVALID_REQUEST, f"{language} cannot run on this server")

    def announce(name: str, data: dict[str, Any]) -> None:
        manager.relay.announce(room.session_id, name, data)

    session = SessionContext(room.session_id, room.expires_at_ms, announce)
    try:
        await sandbox.release_session(room.session_id)
    except RunnerError as error:
        raise _unavailable(error) from None

    async def start() -> None:
        try:
            await sandbox.restart_session(session, get_language(language))
        except RunnerError as error:
            log.warning("restart of session %s's pod failed: %s", room.session_id, error)
            if error.announced:
                return
            # An API failure before the pod existed: pod_failed has not been sent yet.
            failed = PodFailed(
                session_id=room.session_id, pod=None, reason=error.reason, message=error.message
            )
            announce(*failed.parts())

    task = asyncio.get_running_loop().create_task(start())
    _restarts.add(task)
    task.add_done_callback(_restarts.discard)
    return await describe(manager, room.session_id)


async def stop(manager: RunManager, session_id: str) -> dict[str, Any]:
    sandbox = _session_sandbox(manager)
    await _refuse_during_run(manager, session_id)
    try:
        await sandbox.release_session(session_id)
    except RunnerError as error:
        raise _unavailable(error) from None
    return await describe(manager, session_id)
