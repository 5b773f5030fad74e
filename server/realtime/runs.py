"""The run events of the realtime doors: `run` and `run_cancel` from a connected client,
read exactly like the REST bodies, refusals turned into the gateway's `error` event."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from pydantic import ValidationError

from collab.connection import Identity
from collab.room import Room, RoomError
from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode, RealtimeCode
from schema.models import CancelRunEvent, RunRequest
from server import activity
from server.activity import Actor
from server.http.requests import describe_validation_error
from server.runs.manager import RunManager


class RunEventAdapter:
    """What the gateway calls for run events (`gateway.RunEvents`)."""

    def __init__(self, runs: RunManager, pool: asyncpg.Pool) -> None:
        self.runs = runs
        self.pool = pool

    def prepare(self, language: str) -> None:
        self.runs.prepare(language)

    async def handle_event(self, identity: Identity, room: Room, event: str, data: Any) -> None:
        """`run` and `run_cancel` from a connected client; refusals become RoomError (the
        gateway's `error` event) with the REST error's code."""
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
            else:
                cancel = CancelRunEvent.model_validate_json(payload)
                run_id = str(cancel.run_id) if cancel.run_id is not None else None
                await self.runs.cancel(identity.session_id, run_id)
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
