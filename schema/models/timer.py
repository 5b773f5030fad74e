"""The interview timer: what interviewers send, and what everyone reads."""

from __future__ import annotations

from typing import Literal

from schema.models.base import RequestModel, ResponseModel

TimerAction = Literal["start", "pause", "reset"]


class TimerRequest(RequestModel):
    action: TimerAction


class InterviewTimer(ResponseModel):
    running: bool
    # Time run so far, as of `serverTime`; while running, add the time since then.
    elapsed_ms: int
    # When the current run of the clock started; null while paused.
    started_at: int | None
    updated_at: int | None
    server_time: int


class InterviewTimerEnvelope(ResponseModel):
    success: Literal[True] = True
    data: InterviewTimer
