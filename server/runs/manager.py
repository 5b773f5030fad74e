"""Running a session's code: one run at a time per session (across nodes), its output
streamed to the whole room as it is produced, its result kept in Postgres.

    manager = RunManager(pool, cache, relay, sandbox, settings)
    run = await manager.start(room, by, RunRequest(...))      # answers at once; runs on
    run = await manager.cancel(session_id, run_id)            # works from any node

Events, through `Relay.announce` (every client of the session, on every node):

* `run_started`  `{runId, sessionId, language, by, timestamp}`
* `run_output`   `{runId, stream, data, seq}`: UTF-8 with invalid bytes replaced; output
  after a quiet spell is sent at once, then coalesced to at most one event every
  `FLUSH_SECONDS` (sooner once `FLUSH_BYTES` wait; `server/runs/output.py`)
* `run_finished` `{runId, exitCode, signal, durationMs, timedOut, memoryExceeded,
  outputTruncated, cancelled, stage, reason, limit}`: `reason` and `limit` from
  `runner.limits.finish_reason`

One run or test run at a time per session, across nodes (`server/runs/lock.py`). A cancel
reaching another node goes over the relay's control channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import redis.asyncio as redis

from collab.relay import Relay
from collab.room import Room
from runner.errors import RunnerError
from runner.job import RunJob
from runner.languages import LANGUAGES, Language, get_language
from runner.limits import MiB, RunLimits, RunResult, finish_reason
from runner.sandbox import Sandbox, SessionContext, StreamName
from schema.errors import ApiError, ErrorCode, invalid
from schema.events import Event, RunError, RunFinished, RunOutput, RunStarted
from schema.models import Run, RunRequest
from server.config import Settings
from server.http.requests import check_size
from server.languages import check_language
from server.runs.history import fetch_run, record_finish, record_start
from server.runs.live_output import LiveOutput
from server.runs.lock import release_run_lock, run_lock_holder, take_run_lock
from server.runs.output import CoalescedOutput

log = logging.getLogger(__name__)

MAX_STDIN_BYTES = 1 * MiB
# The lock outlives the run's wall clock by this much, then expires on its own if the
# node running it died.
LOCK_MARGIN_SECONDS = 30
SHUTDOWN_GRACE_SECONDS = 5.0

def _no_result(started: float, cancel: asyncio.Event) -> RunResult:
    """The result of a run the sandbox could not carry out."""
    return RunResult(
        exit_code=None,
        signal=None,
        duration_ms=int((time.monotonic() - started) * 1000),
        cancelled=cancel.is_set(),
    )


@dataclass
class ActiveRun:
    """A run executing on this node."""

    id: str
    session_id: str
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


@dataclass(eq=False)
class RunManager:
    pool: asyncpg.Pool
    cache: redis.Redis
    relay: Relay
    sandbox: Sandbox
    settings: Settings
    # Shown in /api/v1/health/detailed (an unsafe sandbox, a weaker one).
    warnings: list[str] = field(default_factory=list, init=False)
    active: dict[str, ActiveRun] = field(default_factory=dict, init=False)
    # Hears each run's seconds from its start to its end (the server's /metrics).
    observe_run: Callable[[float], None] = field(default=lambda _seconds: None, init=False)
    _stopping: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.relay.on("cancel_run", self._cancel_here)

    def limits_for(self, language: Language) -> RunLimits:
        """The language's own limits, with what the DUET_RUN_* settings override."""
        settings = self.settings
        overrides: dict[str, Any] = {
            "wall_time_s": settings.run_wall_time,
            "cpu_time_s": settings.run_cpu_time,
            "memory_bytes": settings.run_memory_mb and settings.run_memory_mb * MiB,
            "output_bytes": settings.run_output_bytes,
        }
        chosen = {name: value for name, value in overrides.items() if value is not None}
        return dataclasses.replace(language.limits, **chosen)

    # -- starting --------------------------------------------------------------------------

    def prepare(self, language_name: str) -> None:
        """A hint that a run in `language_name` may come soon (someone entered its room)."""
        language = LANGUAGES.get(language_name)
        if language is None or not language.runnable or self._stopping:
            return
        self.sandbox.prepare(language, self.limits_for(language))

    async def start(self, room: Room, by: str, request: RunRequest) -> Run:
        """Check the request, take the session's run lock, record and start the run.
        Raises ApiError: 400 (language), 413 (sizes), 409 RUN_IN_PROGRESS."""
        if self._stopping:
            raise ApiError(ErrorCode.SERVICE_UNAVAILABLE, "The server is shutting down")
        session_id = room.session_id
        code = request.code if request.code is not None else room.code
        language = await self.runnable_language(
            request.language or room.language or await self.stored_language(session_id)
        )
        check_size("code", code, self.settings.max_code_bytes)
        check_size("stdin", request.stdin, MAX_STDIN_BYTES)
        limits = self.limits_for(language)

        run_id = str(uuid.uuid4())
        # The run may first wait for its session's runtime (a pod) to start.
        lock_ttl = (
            int(limits.wall_time_s) + LOCK_MARGIN_SECONDS + int(self.sandbox.start_allowance_s)
        )
        await take_run_lock(self.cache, session_id, run_id, lock_ttl)
        try:
            run = await record_start(self.pool, session_id, run_id, by, language.name, code)
        except BaseException:
            await self._release(session_id, run_id)
            raise
        active = ActiveRun(run_id, session_id)
        self.active[run_id] = active
        started = RunStarted(
            run_id=run_id, session_id=session_id, language=language.name, by=by,
            timestamp=run.started_at,
        )  # fmt: skip
        room.announce(*started.parts())
        live = LiveOutput(self.cache, session_id, run_id, lock_ttl)
        active.task = asyncio.get_running_loop().create_task(
            self._execute(active, room, language, code, request.stdin, limits, live),
            name=f"duet-run-{run_id}",
        )
        return run

    async def runnable_language(self, name: str) -> Language:
        check_language(name)
        language = get_language(name)
        if not language.runnable:
            raise invalid(f"{name} is not runnable: it renders in the browser")
        if not await self.runnable_here(name):
            raise invalid(f"{name} is not available on this server (see GET /api/v1/languages)")
        return language

    async def runnable_here(self, name: str) -> bool:
        """Whether the backend runs `name` (with Kubernetes: whether it has an image)."""
        return any(
            info.name == name and info.available and info.runnable
            for info in await self.sandbox.languages()
        )

    async def stored_language(self, session_id: str) -> str:
        language = await self.pool.fetchval(
            "SELECT language FROM sessions WHERE id = $1", session_id
        )
        return language or ""

    async def _execute(
        self,
        active: ActiveRun,
        room: Room,
        language: Language,
        code: str,
        stdin: str,
        limits: RunLimits,
        live: LiveOutput,
    ) -> None:
        run_id, session_id = active.id, active.session_id
        seq = 0

        def announce(name: str, data: dict[str, Any]) -> None:
            self.relay.announce(session_id, name, data)

        def tell(event: Event) -> None:
            announce(*event.parts())

        def send(stream: StreamName, text: str) -> None:
            nonlocal seq
            tell(RunOutput(run_id=run_id, stream=stream, data=text, seq=seq))
            live.append(seq, stream, text)
            seq += 1

        output = CoalescedOutput(send)

        async def on_output(stream: StreamName, chunk: bytes) -> None:
            output.feed(stream, chunk)

        started = time.monotonic()
        job = RunJob.of(
            language, code, stdin=stdin, on_output=on_output, cancel=active.cancel, limits=limits
        )
        session = SessionContext(session_id, room.expires_at_ms, announce)
        try:
            try:
                result = await self.sandbox.run(job, session)
            except RunnerError as error:
                # Not the program's fault and not ours: say what went wrong, to everyone.
                log.warning("run %s of session %s: %s", run_id, session_id, error.message)
                output.feed("stderr", f"\nduet: {error.message}\n".encode())
                tell(RunError(run_id=run_id, reason=error.reason, message=error.message))
                result = _no_result(started, active.cancel)
            except Exception:
                log.exception("run %s of session %s failed in the sandbox", run_id, session_id)
                output.feed("stderr", b"\nduet: the sandbox failed to run this program\n")
                result = _no_result(started, active.cancel)
            output.close()
            reason, limit = finish_reason(result, limits)
            await record_finish(self.pool, session_id, run_id, result, reason, limit, output.kept)
        finally:
            with contextlib.suppress(Exception):
                await live.finish()
            self.active.pop(run_id, None)
            with contextlib.suppress(Exception):
                await self._release(session_id, run_id)
        tell(
            RunFinished(
                run_id=run_id, exit_code=result.exit_code, signal=result.signal,
                duration_ms=result.duration_ms, timed_out=result.timed_out,
                memory_exceeded=result.memory_exceeded,
                output_truncated=result.output_truncated, cancelled=result.cancelled,
                stage=result.stage, reason=reason, limit=limit,
            )
        )  # fmt: skip
        self.observe_run(time.monotonic() - started)

    async def _release(self, session_id: str, run_id: str) -> None:
        await release_run_lock(self.cache, session_id, run_id)

    # -- cancelling ------------------------------------------------------------------------

    async def cancel(self, session_id: str, run_id: str | None) -> tuple[Run, bool]:
        """Stop a run wherever it executes; without `run_id`, the session's current run.
        Returns the run as stored and whether it was still running (RUN_NOT_FOUND if none)."""
        if run_id is None:
            run_id = await run_lock_holder(self.cache, session_id)
            if run_id is None:
                raise ApiError(ErrorCode.RUN_NOT_FOUND, "No run is in progress in this session")
        run = await fetch_run(self.pool, session_id, run_id)
        if run.status != "running":
            return run, False
        active = self.active.get(run_id)
        if active is not None:
            active.cancel.set()
        else:
            await self.relay.send("cancel_run", session_id=session_id, run_id=run_id)
        return run, True

    async def _cancel_here(self, message: dict[str, Any]) -> None:
        active = self.active.get(message.get("run_id", ""))
        if active is not None and active.session_id == message.get("session_id"):
            active.cancel.set()

    async def session_closed(self, session_id: str) -> None:
        """The session ended, or was deleted or expired: its programs running on this node
        have nobody left to watch them."""
        for active in list(self.active.values()):
            if active.session_id == session_id:
                active.cancel.set()

    # -- the session's runtime (per-session backends) --------------------------------------

    async def release_session(self, session_id: str) -> None:
        """The session is gone: its pod goes too. Failures are left to the orphan sweep."""
        try:
            await self.sandbox.release_session(session_id)
        except RunnerError as error:
            log.warning("could not release session %s's pod: %s", session_id, error.message)

    async def shutdown(self) -> None:
        """Cancel every run on this node and wait for them to be recorded (once)."""
        self._stopping = True
        tasks = [active.task for active in self.active.values() if active.task is not None]
        for active in list(self.active.values()):
            active.cancel.set()
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
