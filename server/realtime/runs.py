"""The run events of the realtime doors: `run`, `run_tests` and `run_cancel` from a
connected client, read exactly like the REST bodies, refusals turned into the gateway's
`error` event."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
from pydantic import ValidationError

from collab.connection import Identity
from collab.room import Room, RoomError
from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode, RealtimeCode
from schema.models import CancelRunEvent, RunRequest
from schema.models.test_runs import TestRunRequest
from server import activity
from server.activity import Actor
from server.http.requests import describe_validation_error
from server.runs.lock import run_lock_holder
from server.runs.manager import RunManager
from server.test_runs.manager import TestRunManager


class RunEventAdapter:
    """What the gateway calls for run events (`gateway.RunEvents`)."""

    EVENTS = ("run", "run_tests", "run_cancel")

    def __init__(self, runs: RunManager, test_runs: TestRunManager, pool: asyncpg.Pool) -> None:
        self.runs = runs
        self.test_runs = test_runs
        self.pool = pool

    def prepare(self, language: str) -> None:
        self.runs.prepare(language)

    async def handle_event(self, identity: Identity, room: Room, event: str, data: Any) -> None:
        """`run`, `run_tests` and `run_cancel` from a connected client; refusals become
        RoomError (the gateway's `error` event) with the REST error's code."""
        try:
            # As JSON, so an event is read exactly like the same REST body.
            payload = json.dumps(data if data is not None else {})
            if event == "run":
                request = RunRequest.model_validate_json(payload)
                run = await self.runs.start(room, identity.participant_id, request)
                actor = Actor("participant", identity.participant_id, None, None)
                await activity.record(
                    self.pool, actor, "run_started", now_ms(), session_id=identity.session_id,
                    details={"runId": str(run.id)},
                )  # fmt: skip
            elif event == "run_tests":
                tests = TestRunRequest.model_validate_json(payload)
                test_run = await self.test_runs.start(room, identity.participant_id, tests)
                actor = Actor("participant", identity.participant_id, None, None)
                await activity.record(
                    self.pool, actor, "test_run_started", now_ms(),
                    session_id=identity.session_id, details={"testRunId": str(test_run.id)},
                )  # fmt: skip
            else:
                cancel = CancelRunEvent.model_validate_json(payload)
                await self._cancel(identity.session_id, cancel.run_id)
        except ValidationError as error:
            raise RoomError(
                RealtimeCode.INVALID_MESSAGE, describe_validation_error(error)
            ) from None
        except ApiError as error:
            code = (
                RealtimeCode.INVALID_MESSAGE
                if error.code == ErrorCode.INVALID_REQUEST
                else error.code
            )
            raise RoomError(code, error.message) from None

    async def _cancel(self, session_id: str, run_id: uuid.UUID | None) -> None:
        """A run by its id; without one, whatever holds the session: a run or a test run."""
        if run_id is not None:
            await self.runs.cancel(session_id, str(run_id))
            return
        holder = await run_lock_holder(self.runs.cache, session_id)
        if holder is not None and await self.test_runs.exists(session_id, uuid.UUID(holder)):
            await self.test_runs.cancel(session_id, uuid.UUID(holder))
            return
        await self.runs.cancel(session_id, None)
