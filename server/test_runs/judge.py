"""Run a question's tests against one piece of code: each test its own sandbox run.

    results = await judge(sandbox, session, language, code, suite, limits,
                          workers=2, cancel=cancel, on_result=show)

* Every test is a separate run, from an empty workspace, with the run limits and the
  test's `timeoutMs` as its wall time: no test sees another's files or output.
* Up to `workers` tests run at once; `on_result` hears each as it finishes, in any order.
* With a harness for the language, the harness is the program (the language's source file)
  and the code sits beside it as `solution` + the source file's suffix (`solution.py`,
  `solution.js`, `Solution.java`): the harness reads stdin, calls the candidate's function
  and prints what it returns.
* A sandbox that cannot run a test (not the program's fault) makes that test `error`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from runner.errors import RunnerError
from runner.job import RunJob
from runner.languages import Language
from runner.limits import RunLimits, RunResult, finish_reason
from runner.sandbox import Sandbox, SessionContext, StreamName
from schema.models.test_runs import TestReason, TestResult
from server.test_runs.compare import outputs_match

log = logging.getLogger(__name__)

# What a result keeps of a test's output for people to read; the comparison sees it all.
SHOWN_BYTES = 64 * 1024


class TestCase(Protocol):
    name: str
    stdin: str
    expected_stdout: str
    hidden: bool
    timeout_ms: int
    weight: float


@dataclass(frozen=True)
class Suite:
    tests: Sequence[TestCase]
    compare: str
    # language -> harness code
    harness: Mapping[str, str]


ResultCallback = Callable[[TestResult], Awaitable[None]]


def solution_file(language: Language) -> str:
    source = PurePosixPath(language.source_file)
    stem = "Solution" if source.stem[:1].isupper() else "solution"
    return stem + source.suffix


def _shown(data: bytes) -> str:
    text = data[:SHOWN_BYTES].decode("utf-8", "replace")
    return text + ("\n… (cut)" if len(data) > SHOWN_BYTES else "")


def _reason(result: RunResult, limits: RunLimits, matched: bool) -> TestReason:
    why, _limit = finish_reason(result, limits)
    if why != "exit":
        return why
    if result.exit_code != 0 or result.signal is not None:
        return "runtime_error"
    return "passed" if matched else "wrong_answer"


async def _run_one(
    sandbox: Sandbox,
    session: SessionContext,
    language: Language,
    program: str,
    files: Mapping[str, str],
    index: int,
    test: TestCase,
    compare: str,
    limits: RunLimits,
    cancel: asyncio.Event,
) -> TestResult:
    output: dict[StreamName, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}

    async def collect(stream: StreamName, chunk: bytes) -> None:
        output[stream] += chunk

    test_limits = dataclasses.replace(
        limits, wall_time_s=min(limits.wall_time_s, test.timeout_ms / 1000)
    )
    job = RunJob.of(
        language, program, stdin=test.stdin, on_output=collect, cancel=cancel,
        limits=test_limits, files=files,
    )  # fmt: skip
    started = time.monotonic()
    reason: TestReason
    try:
        result = await sandbox.run(job, session)
    except RunnerError as error:
        log.warning("test %d of session %s: %s", index, session.session_id, error.message)
        output["stderr"] += f"duet: {error.message}\n".encode()
        reason, duration_ms = "error", int((time.monotonic() - started) * 1000)
    else:
        actual = output["stdout"].decode("utf-8", "replace")
        reason = _reason(result, test_limits, outputs_match(compare, actual, test.expected_stdout))
        duration_ms = result.duration_ms
    return TestResult(
        index=index, name=test.name, hidden=test.hidden, weight=test.weight,
        passed=reason == "passed", duration_ms=duration_ms, reason=reason, stdin=test.stdin,
        expected=test.expected_stdout, actual=_shown(output["stdout"]),
        stderr=_shown(output["stderr"]),
    )  # fmt: skip


def _cancelled(index: int, test: TestCase) -> TestResult:
    return TestResult(
        index=index, name=test.name, hidden=test.hidden, weight=test.weight, passed=False,
        duration_ms=0, reason="cancelled", stdin=test.stdin, expected=test.expected_stdout,
        actual="", stderr="",
    )  # fmt: skip


async def judge(
    sandbox: Sandbox,
    session: SessionContext,
    language: Language,
    code: str,
    suite: Suite,
    limits: RunLimits,
    *,
    workers: int,
    cancel: asyncio.Event,
    on_result: ResultCallback,
) -> list[TestResult]:
    """Every test's result, in test order; tests not begun when `cancel` is set are
    `cancelled`."""
    harness = suite.harness.get(language.name)
    program, files = (harness, {solution_file(language): code}) if harness else (code, {})
    turns = asyncio.Semaphore(max(1, workers))

    async def one(index: int, test: TestCase) -> TestResult:
        async with turns:
            if cancel.is_set():
                result = _cancelled(index, test)
            else:
                result = await _run_one(
                    sandbox, session, language, program, files, index, test, suite.compare,
                    limits, cancel,
                )  # fmt: skip
        await on_result(result)
        return result

    at_once = min(max(1, workers), len(suite.tests))
    with sandbox.expecting(language, limits, at_once):
        return list(await asyncio.gather(*(one(i, t) for i, t in enumerate(suite.tests))))


def score_of(results: Sequence[TestResult]) -> float:
    total = sum(result.weight for result in results)
    passed = sum(result.weight for result in results if result.passed)
    return passed / total if total else 0.0
