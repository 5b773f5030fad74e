"""Every event the realtime doors send, one model each: its name and its payload's shape.

    announce(*RunOutput(run_id=run_id, stream="stdout", data="hi\\n", seq=0).parts())

An emitter builds the model and sends `parts()`, the `(name, data)` pair the rooms and the
relay carry; nothing downstream knows about models. The README's event tables list the same
events (`tests/test_event_models.py` holds the two together).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Event(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)
    NAME: ClassVar[str]

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")

    def parts(self) -> tuple[str, dict[str, Any]]:
        return self.NAME, self.wire()


# -- the document (JSON clients) -------------------------------------------------------------


class CodeChange(Event):
    NAME = "code_change"
    code: str
    user_id: str | None
    timestamp: int


class LanguageChange(Event):
    NAME = "language_change"
    language: str
    user_id: str | None
    timestamp: int


class CursorPoint(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)
    line_number: int
    column: int


class CursorPosition(Event):
    NAME = "cursor_position"
    position: CursorPoint
    user_id: str
    timestamp: int


# -- people ------------------------------------------------------------------------------------


class EventUser(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    role: str
    color: str


class UserJoin(Event):
    NAME = "user_join"
    user: EventUser
    timestamp: int


class UserLeave(Event):
    NAME = "user_leave"
    user_id: str
    timestamp: int


class UserRemoved(Event):
    NAME = "user_removed"
    user_id: str
    timestamp: int


# -- the connection ----------------------------------------------------------------------------


class Throttled(Event):
    NAME = "throttled"
    limit: int | float
    retry_after_ms: int


class ErrorEvent(Event):
    NAME = "error"
    code: str
    message: str
    # The refused event's name; absent when the refusal is of the connection.
    event: str | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)


# -- runs ----------------------------------------------------------------------------------------


class RunStarted(Event):
    NAME = "run_started"
    run_id: str
    session_id: str
    language: str
    by: str
    timestamp: int


class RunOutput(Event):
    NAME = "run_output"
    run_id: str
    stream: Literal["stdout", "stderr"]
    data: str
    seq: int


class RunError(Event):
    NAME = "run_error"
    run_id: str
    reason: str
    message: str


class RunFinished(Event):
    NAME = "run_finished"
    run_id: str
    exit_code: int | None
    signal: str | None
    duration_ms: int
    timed_out: bool
    memory_exceeded: bool
    output_truncated: bool
    cancelled: bool
    stage: Literal["compile", "run"] | None
    reason: str
    limit: int | float | None


# -- the session's pod (Kubernetes runner) ------------------------------------------------------


class PodPending(Event):
    NAME = "pod_pending"
    session_id: str
    pod: str
    language: str
    warm: bool


class PodReady(Event):
    NAME = "pod_ready"
    session_id: str
    pod: str
    language: str
    node: str | None
    warm: bool
    waited_ms: int


class PodProgress(Event):
    NAME = "pod_progress"
    session_id: str
    pod: str
    message: str


class PodFailed(Event):
    NAME = "pod_failed"
    session_id: str
    pod: str | None
    reason: str
    message: str


# -- the session's question ------------------------------------------------------------------


class QuestionChanged(Event):
    """An interviewer set the session's question; clients read it with
    GET /sessions/{id}/question (filtered by role)."""

    NAME = "question_changed"
    question_id: str
    version: int
    title: str
    by: str | None
    timestamp: int


class TimerChanged(Event):
    """An interviewer started, paused or reset the interview timer."""

    NAME = "timer_changed"
    running: bool
    elapsed_ms: int
    started_at: int | None
    by: str | None
    timestamp: int


# -- test runs -----------------------------------------------------------------------------------


class TestRunStarted(Event):
    NAME = "test_run_started"
    test_run_id: str
    session_id: str
    question_id: str
    question_version: int
    language: str
    total: int
    by: str
    timestamp: int


class TestResultEvent(Event):
    """One test's outcome, as it finishes. A candidate's copy of a hidden test's result has
    `stdin`, `expected`, `actual` and `stderr` null (`server/test_runs/views.py`)."""

    NAME = "test_result"
    test_run_id: str
    index: int
    name: str
    hidden: bool
    weight: float
    passed: bool
    duration_ms: int
    reason: str
    stdin: str | None
    expected: str | None
    actual: str | None
    stderr: str | None


class TestRunFinished(Event):
    NAME = "test_run_finished"
    test_run_id: str
    passed: int
    failed: int
    total: int
    score: float
    duration_ms: int
    cancelled: bool


# -- interviewers' notes (interviewers only) ----------------------------------------------------


class NoteEvent(Event):
    """note_added and note_updated carry the note as the notes API answers it."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: str
    session_id: str


class NoteAdded(NoteEvent):
    NAME = "note_added"


class NoteUpdated(NoteEvent):
    NAME = "note_updated"


class NoteDeleted(Event):
    NAME = "note_deleted"
    id: str
    session_id: str


EVENTS: tuple[type[Event], ...] = (
    CodeChange, LanguageChange, CursorPosition, UserJoin, UserLeave, UserRemoved, Throttled,
    ErrorEvent, RunStarted, RunOutput, RunError, RunFinished, PodPending, PodReady,
    PodProgress, PodFailed, QuestionChanged, TestRunStarted, TestResultEvent, TestRunFinished,
    NoteAdded, NoteUpdated, NoteDeleted, TimerChanged,
)  # fmt: skip
