"""Code runs, languages and the session's runtime."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field

from schema.models.base import (
    Code,
    LanguageName,
    RequestModel,
    ResponseModel,
)

# Why a run ended, in the terms a person reads, so that no client decodes signals.
RunReason = Literal[
    "exit", "compile_error", "time_limit", "cpu_limit", "memory_limit", "output_limit", "cancelled"
]


def _utf8(value: str) -> str:
    # stdin is never stored, so NUL is fine; a lone surrogate cannot be encoded at all.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


class RunRequest(RequestModel):
    """Run the session's document, or `code`/`language` instead of it, with `stdin`."""

    stdin: Annotated[str, AfterValidator(_utf8)] = ""
    code: Code | None = None
    language: LanguageName | None = None


class CancelRunEvent(RequestModel):
    """The `run_cancel` event; without `runId` it cancels whatever runs in the session."""

    run_id: UUID | None = None


class RunOutputChunk(ResponseModel):
    stream: Literal["stdout", "stderr"]
    data: str


class Run(ResponseModel):
    id: UUID
    session_id: str
    language: str
    by: UUID = Field(description="The participant who started the run")
    status: Literal["running", "finished"]
    started_at: int = Field(description="Unix time in ms")
    finished_at: int | None = Field(description="Unix time in ms; null while running")
    code_hash: str = Field(description="SHA-256 (hex) of the code that ran, UTF-8")
    stage: Literal["compile", "run"] | None = Field(
        description="The step that produced exitCode/signal: a failed compile stops there"
    )
    exit_code: int | None
    signal: str | None = Field(description="e.g. 'SIGKILL' when a signal ended the program")
    duration_ms: int | None
    timed_out: bool
    memory_exceeded: bool
    output_truncated: bool
    cancelled: bool
    reason: RunReason | None = Field(
        description="Why the run ended: exit, compile_error, time_limit, cpu_limit, "
        "memory_limit, output_limit or cancelled; null while running"
    )
    limit: int | float | None = Field(
        description="The value of the limit the run reached: seconds for time_limit and "
        "cpu_limit, bytes for memory_limit and output_limit; null otherwise"
    )
    output: list[RunOutputChunk] = Field(
        description="stdout and stderr in the order written, UTF-8 with invalid bytes "
        "replaced; while the run is running, GET /runs/{runId} gives the output so far "
        "and outputSeq"
    )


class LiveRun(Run):
    """A run still going, as `GET /runs/{runId}` answers it."""

    output_seq: int = Field(
        description="The seq of the next run_output event, so that the live events continue "
        "the output given here"
    )


class RunEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Run


class RunDetailEnvelope(ResponseModel):
    success: Literal[True] = True
    data: LiveRun | Run = Field(description="A run still going comes with outputSeq")


class RunListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[Run] = Field(description="Newest first")
    next_cursor: str | None = Field(description="?cursor= for the next page; null at the end")


class LanguageInfo(ResponseModel):
    name: str
    version: str | None
    available: bool = Field(description="Usable in a session on this server")
    runnable: bool = Field(description="False for html, which renders in the browser")


class LanguagesEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[LanguageInfo]


class RuntimeFailure(ResponseModel):
    reason: str = Field(description="e.g. ErrImagePull, Unschedulable, DeadlineExceeded")
    message: str


class Runtime(ResponseModel):
    backend: str = Field(description="kubernetes, or the local sandbox's name")
    state: Literal["local", "none", "pending", "ready", "failed", "terminating"]
    pod: str | None
    node: str | None
    language: str | None
    image: str | None
    age_seconds: int | None
    failure: RuntimeFailure | None = None
    usage: dict[str, str] | None = Field(
        description="cpu and memory from the metrics API when the cluster has it"
    )


class RuntimeEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Runtime
