"""Test runs: a session's question's tests run against its code, and what each role reads."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from schema.models.base import Code, LanguageName, RequestModel, ResponseModel
from schema.models.questions import MAX_TESTS, Compare, QuestionTest, SourceCode

# Why a test passed or failed, in a person's terms. `runtime_error`: the program exited
# non-zero or was killed; `error`: the sandbox could not run it (not the candidate's fault).
TestReason = Literal[
    "passed", "wrong_answer", "time_limit", "cpu_limit", "memory_limit", "output_limit",
    "compile_error", "runtime_error", "error", "cancelled",
]  # fmt: skip


class TestRunRequest(RequestModel):
    """Run the question's tests against the session's document, or `code`/`language`."""

    code: Code | None = None
    language: LanguageName | None = None


class TestResult(ResponseModel):
    """One test's outcome. For a candidate a hidden test's `stdin`, `expected`, `actual`
    and `stderr` are null; interviewers get them all."""

    index: int
    name: str
    hidden: bool
    weight: float
    passed: bool
    duration_ms: int
    reason: TestReason
    stdin: str | None
    expected: str | None
    actual: str | None
    stderr: str | None


class TestRun(ResponseModel):
    id: UUID
    session_id: str
    question_id: UUID
    question_version: int
    language: str
    by: UUID = Field(description="The participant (or account, or API token) who started it")
    status: Literal["running", "finished"]
    started_at: int
    finished_at: int | None
    total: int
    passed: int
    failed: int
    score: float | None = Field(
        description="The passed tests' weights over all the weights, 0 to 1; null while running"
    )
    results: list[TestResult] = Field(description="In test order; those finished so far")


class TestRunEnvelope(ResponseModel):
    success: Literal[True] = True
    data: TestRun


class TestRunListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[TestRun]
    next_cursor: str | None


class TestScore(ResponseModel):
    """The latest finished test run's score: on the scorecard and in `session.ended`."""

    test_run_id: UUID
    question_id: UUID
    question_version: int
    language: str
    passed: int
    failed: int
    total: int
    score: float
    finished_at: int


class TrialRequest(RequestModel):
    """An author's reference solution, run against a question's tests (saved or not); nothing
    is stored."""

    language: LanguageName
    code: Code
    tests: Annotated[list[QuestionTest], Field(min_length=1, max_length=MAX_TESTS)]
    compare: Compare = "trim"
    harness: dict[str, SourceCode] = {}


class TrialResult(ResponseModel):
    total: int
    passed: int
    failed: int
    score: float
    results: list[TestResult]


class TrialEnvelope(ResponseModel):
    success: Literal[True] = True
    data: TrialResult
