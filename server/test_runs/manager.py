"""Running the session's question's tests against its code, for the whole room.

    manager = TestRunManager(pool, cache, relay, runs, settings)
    test_run = await manager.start(room, by, TestRunRequest())   # answers at once
    await manager.cancel(session_id, test_run_id)                 # from any node

A test run holds the session's run lock (`server/runs/lock.py`), so a run and a test run
never overlap (409 RUN_IN_PROGRESS). Events, through `Relay.announce`:

* `test_run_started` `{testRunId, sessionId, questionId, questionVersion, language, total,
  by, timestamp}`, to everyone;
* `test_result` per test as it finishes. A visible test's result goes to everyone; a hidden
  test's whole result only to interviewers, and its name and outcome to candidates: the
  candidate's copy is made here, so no door ever holds the hidden data for a candidate;
* `test_run_finished` `{testRunId, passed, failed, total, score, durationMs, cancelled}`.

The results are recorded when the test run finishes (`server/test_runs/store.py`), with
the `test_run.finished` webhook; while it runs, the room's events carry them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import redis.asyncio as redis

from collab.relay import Relay
from collab.room import Room
from runner.languages import Language
from runner.limits import RunLimits
from runner.sandbox import SessionContext
from schema.errors import invalid
from schema.events import TestResultEvent, TestRunFinished, TestRunStarted
from schema.models.questions import Question
from schema.models.test_runs import TestResult, TestRun, TestRunRequest
from server.config import Settings
from server.http.requests import check_size
from server.runs.lock import release_run_lock, take_run_lock
from server.runs.manager import LOCK_MARGIN_SECONDS, RunManager
from server.session_questions import pinned_question
from server.test_runs import store
from server.test_runs.judge import Suite, judge, score_of
from server.test_runs.views import result_for

log = logging.getLogger(__name__)

INTERVIEWERS = ("interviewer",)
CANDIDATES = ("candidate",)


@dataclass
class ActiveTestRun:
    id: str
    session_id: str
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


def default_workers(settings: Settings) -> int:
    return settings.test_workers or os.cpu_count() or 1


@dataclass(eq=False)
class TestRunManager:
    pool: asyncpg.Pool
    cache: redis.Redis
    relay: Relay
    runs: RunManager
    settings: Settings
    active: dict[str, ActiveTestRun] = field(default_factory=dict, init=False)
    # Hears each test run's seconds from its start to its end (the server's /metrics).
    observe_run: Callable[[float], None] = field(default=lambda _seconds: None, init=False)

    def __post_init__(self) -> None:
        self.relay.on("cancel_test_run", self._cancel_here)

    @property
    def workers(self) -> int:
        """How many tests run at once: in a session's pod one, as its workspace is one
        directory (each test still starts from an empty one); locally, the cores."""
        return 1 if self.runs.sandbox.keeps_sessions else default_workers(self.settings)

    def lock_seconds(self, question: Question, limits: RunLimits) -> int:
        """How long the run lock may be held: every round of tests at its longest."""
        longest = max(min(limits.wall_time_s, t.timeout_ms / 1000) for t in question.tests)
        rounds = math.ceil(len(question.tests) / self.workers)
        allowance = LOCK_MARGIN_SECONDS + self.runs.sandbox.start_allowance_s
        return int(rounds * longest + allowance)

    async def start(self, room: Room, by: str, request: TestRunRequest) -> TestRun:
        """Raises ApiError: 404 QUESTION_NOT_FOUND (no question), 400 (language, a question
        without tests), 413 (code), 409 RUN_IN_PROGRESS."""
        session_id = room.session_id
        question = await pinned_question(self.pool, session_id)
        if not question.tests:
            raise invalid("The session's question has no tests to run")
        code = request.code if request.code is not None else room.code
        language = await self.runs.runnable_language(
            request.language or room.language or await self.runs.stored_language(session_id)
        )
        check_size("code", code, self.settings.max_code_bytes)
        limits = self.runs.limits_for(language)
        test_run_id = str(uuid.uuid4())
        lock_ttl = self.lock_seconds(question, limits)
        await take_run_lock(self.cache, session_id, test_run_id, lock_ttl)
        try:
            test_run = await store.record_start(
                self.pool, session_id, test_run_id, by, (question.id, question.version),
                language.name, code, len(question.tests),
            )  # fmt: skip
        except BaseException:
            await release_run_lock(self.cache, session_id, test_run_id)
            raise
        active = ActiveTestRun(test_run_id, session_id)
        self.active[test_run_id] = active
        started = TestRunStarted(
            test_run_id=test_run_id, session_id=session_id, question_id=str(question.id),
            question_version=question.version, language=language.name,
            total=len(question.tests), by=by, timestamp=test_run.started_at,
        )  # fmt: skip
        room.announce(*started.parts())
        active.task = asyncio.get_running_loop().create_task(
            self._execute(active, room, language, code, question, limits),
            name=f"duet-test-run-{test_run_id}",
        )
        return test_run

    def _tell(self, session_id: str, test_run_id: str, result: TestResult) -> None:
        def event(shown: TestResult) -> tuple[str, dict[str, Any]]:
            return TestResultEvent(test_run_id=test_run_id, **dict(shown)).parts()

        if not result.hidden:
            self.relay.announce(session_id, *event(result))
            return
        self.relay.announce(session_id, *event(result), roles=INTERVIEWERS)
        self.relay.announce(
            session_id, *event(result_for(result, interviewer=False)), roles=CANDIDATES
        )

    async def _execute(
        self,
        active: ActiveTestRun,
        room: Room,
        language: Language,
        code: str,
        question: Question,
        limits: RunLimits,
    ) -> None:
        test_run_id, session_id = active.id, active.session_id
        started = time.monotonic()

        def announce(name: str, data: dict[str, Any]) -> None:
            self.relay.announce(session_id, name, data)

        async def on_result(result: TestResult) -> None:
            self._tell(session_id, test_run_id, result)

        suite = Suite(question.tests, question.compare, question.harness)
        session = SessionContext(session_id, room.expires_at_ms, announce)
        results: list[TestResult] = []
        try:
            try:
                results = await judge(
                    self.runs.sandbox, session, language, code, suite, limits,
                    workers=self.workers, cancel=active.cancel, on_result=on_result,
                )  # fmt: skip
            except Exception:
                log.exception("test run %s of session %s failed", test_run_id, session_id)
            score = score_of(results)
            await store.record_finish(self.pool, session_id, test_run_id, results, score)
        finally:
            self.active.pop(test_run_id, None)
            with contextlib.suppress(Exception):
                await release_run_lock(self.cache, session_id, test_run_id)
        passed = sum(result.passed for result in results)
        finished = TestRunFinished(
            test_run_id=test_run_id, passed=passed, failed=len(question.tests) - passed,
            total=len(question.tests), score=score,
            duration_ms=int((time.monotonic() - started) * 1000),
            cancelled=active.cancel.is_set(),
        )  # fmt: skip
        announce(*finished.parts())
        self.observe_run(time.monotonic() - started)

    # -- cancelling ------------------------------------------------------------------------

    async def cancel(self, session_id: str, test_run_id: uuid.UUID) -> tuple[TestRun, bool]:
        """Stop a test run wherever it executes; the test run and whether it was running."""
        test_run = await store.fetch_test_run(self.pool, session_id, test_run_id)
        if test_run.status != "running":
            return test_run, False
        active = self.active.get(str(test_run_id))
        if active is not None:
            active.cancel.set()
        else:
            await self.relay.send(
                "cancel_test_run", session_id=session_id, test_run_id=str(test_run_id)
            )
        return test_run, True

    async def exists(self, session_id: str, test_run_id: uuid.UUID) -> bool:
        found = await self.pool.fetchval(
            "SELECT 1 FROM test_runs WHERE session_id = $1 AND id = $2", session_id, test_run_id
        )
        return found is not None

    async def _cancel_here(self, message: dict[str, Any]) -> None:
        active = self.active.get(message.get("test_run_id", ""))
        if active is not None and active.session_id == message.get("session_id"):
            active.cancel.set()

    async def session_closed(self, session_id: str) -> None:
        for active in list(self.active.values()):
            if active.session_id == session_id:
                active.cancel.set()

    async def shutdown(self) -> None:
        tasks = [active.task for active in self.active.values() if active.task is not None]
        for active in list(self.active.values()):
            active.cancel.set()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
