"""The question bank: a question as its author writes it, and as the API answers it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field

from schema.models.base import RequestModel, ResponseModel, storable

MAX_PROMPT_BYTES = 100 * 1024
MAX_TESTS = 200
MAX_EXPECTED_BYTES = 1024 * 1024
MAX_STARTER_BYTES = 256 * 1024

Difficulty = Literal["easy", "medium", "hard"]
_FLOAT_COMPARE = re.compile(r"^float:(\d+(\.\d+)?([eE]-?\d+)?)$")


def _bounded(limit: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        storable(value)
        if len(value.encode()) > limit:
            raise ValueError(f"must be at most {limit} bytes (UTF-8)")
        return value

    return check


def _compare(value: str) -> str:
    """How a test's output is compared with the expected output."""
    if value in ("exact", "trim", "tokens") or _FLOAT_COMPARE.match(value):
        return value
    raise ValueError("must be exact, trim, tokens or float:<tolerance> (e.g. float:1e-6)")


def _words(longest: int, *, lower: bool = False) -> Callable[[str], str]:
    """Text of 1 to `longest` characters, stripped (and lowercased, for tags)."""

    def check(value: str) -> str:
        value = storable(value).strip()
        if not 1 <= len(value) <= longest:
            raise ValueError(f"must be 1 to {longest} characters")
        return value.lower() if lower else value

    return check


_tag = _words(40, lower=True)
_title = _words(200)


Prompt = Annotated[str, AfterValidator(_bounded(MAX_PROMPT_BYTES))]
Expected = Annotated[str, AfterValidator(_bounded(MAX_EXPECTED_BYTES))]
SourceCode = Annotated[str, AfterValidator(_bounded(MAX_STARTER_BYTES))]
Compare = Annotated[str, AfterValidator(_compare)]
Tag = Annotated[str, AfterValidator(_tag)]


class QuestionTest(RequestModel):
    """One test case: the program gets `stdin`; it passes when its stdout matches
    `expectedStdout` under the question's `compare` mode."""

    name: Annotated[str, AfterValidator(_title)]
    stdin: Expected = ""
    expected_stdout: Expected
    # Hidden tests are run and scored, but a candidate sees only whether they passed.
    hidden: bool = False
    timeout_ms: Annotated[int, Field(ge=100, le=60_000)] = 5_000
    weight: Annotated[float, Field(gt=0, le=1_000)] = 1.0


class QuestionRequest(RequestModel):
    title: Annotated[str, AfterValidator(_title)]
    prompt: Prompt = ""
    difficulty: Difficulty = "medium"
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    # language -> starter code for that language.
    starters: dict[str, SourceCode] = {}
    tests: Annotated[list[QuestionTest], Field(max_length=MAX_TESTS)] = []
    compare: Compare = "trim"
    # language -> harness code: reads stdin, calls the candidate's function, prints.
    harness: dict[str, SourceCode] = {}
    interviewer_notes: Annotated[str, AfterValidator(_bounded(MAX_PROMPT_BYTES))] = ""


class PromptPreviewRequest(RequestModel):
    """A prompt being written, for the question editor's live preview."""

    prompt: Prompt


class PromptPreview(ResponseModel):
    prompt_html: str = Field(description="The prompt rendered and sanitized, as promptHtml")


class PromptPreviewEnvelope(ResponseModel):
    success: Literal[True] = True
    data: PromptPreview


class QuestionTestView(ResponseModel):
    name: str
    stdin: str
    expected_stdout: str
    hidden: bool
    timeout_ms: int
    weight: float


class Question(ResponseModel):
    """A question at one version, as the organization's interviewers see it (every test,
    hidden ones included, and the interviewer notes)."""

    id: UUID
    version: int = Field(description="This version; PUT makes the next one")
    latest_version: int
    title: str
    prompt: str = Field(description="Markdown, as written")
    prompt_html: str = Field(
        description="The prompt rendered to HTML, sanitized: no scripts, no event handlers, "
        "no javascript: links"
    )
    difficulty: Difficulty
    tags: list[str]
    starters: dict[str, str]
    tests: list[QuestionTestView]
    compare: str
    harness: dict[str, str]
    interviewer_notes: str = Field(description="Hints and a rubric; never shown to candidates")
    created_at: int
    updated_at: int


class QuestionSummary(ResponseModel):
    """A question in the bank's list: what a picker shows."""

    id: UUID
    latest_version: int
    title: str
    difficulty: Difficulty
    tags: list[str]
    languages: list[str] = Field(description="The languages it has a starter for")
    test_count: int
    hidden_test_count: int
    updated_at: int


class QuestionEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Question


class QuestionListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[QuestionSummary]
    next_cursor: str | None


class SessionQuestionRequest(RequestModel):
    question_id: UUID
    # Default: the latest version. The session keeps this version whatever edits follow.
    version: Annotated[int, Field(ge=1)] | None = None


class CandidateTest(ResponseModel):
    """A test as a candidate sees it: a hidden test's input and expected output stay out."""

    name: str
    hidden: bool
    weight: float
    stdin: str | None = Field(description="null for a hidden test")
    expected_stdout: str | None = Field(description="null for a hidden test")


class CandidateQuestion(ResponseModel):
    """A session's question as a candidate sees it: no interviewer notes, and hidden tests
    only by name."""

    id: UUID
    version: int
    title: str
    prompt: str
    prompt_html: str
    difficulty: Difficulty
    tags: list[str]
    starters: dict[str, str]
    harness: dict[str, str]
    compare: str
    tests: list[CandidateTest]


class SessionQuestionEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Question | CandidateQuestion = Field(
        description="Interviewers get the whole question; candidates the CandidateQuestion"
    )
