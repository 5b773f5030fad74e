"""Running a session's code: one run at a time per session (across nodes), its output
streamed to the whole room as it is produced, its result kept in Postgres.

    manager = RunManager(pool, cache, registry, sandbox, settings)
    run = await manager.start(room, by, RunRequest(...))      # answers at once; runs on
    run = await manager.cancel(session_id, run_id)            # works from any node

Events, through `Room.announce` (every client of the session, on every node):

* `run_started`  `{runId, sessionId, language, by, timestamp}`
* `run_output`   `{runId, stream, data, seq}`: UTF-8 with invalid bytes replaced; output
  after a quiet spell is sent at once, then coalesced to at most one event every
  `FLUSH_SECONDS` (sooner once `FLUSH_BYTES` wait)
* `run_finished` `{runId, exitCode, signal, durationMs, timedOut, memoryExceeded,
  outputTruncated, cancelled, stage, reason, limit}`: `reason` and `limit` from
  `runner.limits.finish_reason`

The one-run-per-session rule is a Redis key (`duet:session:{id}:run`, SET NX with a TTL
past the run's wall time, so a crashed node cannot hold it for ever) whose value is the
run id. A cancel reaching another node goes over the registry's control channel.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import dataclasses
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import redis.asyncio as redis
from pydantic import ValidationError

from collab.connection import Identity
from collab.room import Room, RoomError
from collab.rooms import RoomRegistry
from runner.errors import RunnerError
from runner.kubernetes.backend import KubernetesSandbox
from runner.languages import LANGUAGES, Language, detect_languages, get_language
from runner.limits import MiB, RunLimits, RunReason, RunResult, finish_reason
from runner.sandbox import Sandbox, StreamName, check_bubblewrap, create_local_sandbox
from runner.session import SessionContext, SessionSandbox
from schema.errors import ApiError, ErrorCode, invalid
from schema.keys import session_key
from schema.models import CancelRunEvent, RunRequest
from server import activity, webhooks
from server.activity import Actor
from server.clock import now_ms
from server.config import Settings
from server.languages import check_language
from server.live_output import LiveOutput, read_live_output
from server.requests import check_size, describe_validation_error

log = logging.getLogger(__name__)

MAX_STDIN_BYTES = 1 * MiB
# A print loop must not become 100k events: output is sent at most this often per run,
# or sooner once this much is waiting.
FLUSH_SECONDS = 0.02
FLUSH_BYTES = 16 * 1024
# The lock outlives the run's wall clock by this much, then expires on its own if the
# node running it died.
LOCK_MARGIN_SECONDS = 30
SHUTDOWN_GRACE_SECONDS = 5.0

# Delete the lock only if it is still ours (it may have expired and been taken since).
_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_RUN_COLUMNS = """id, session_id, participant_id, language, code_sha256, started_at, finished_at,
status, stage, exit_code, signal, duration_ms, timed_out, memory_exceeded, output_truncated,
cancelled, reason, limit_value, output, seq"""


def run_lock_key(session_id: str) -> str:
    return session_key(session_id, "run")


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def run_from_row(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "sessionId": row["session_id"],
        "language": row["language"],
        "by": str(row["participant_id"]),
        "status": row["status"],
        "startedAt": row["started_at"],
        "finishedAt": row["finished_at"],
        "codeHash": row["code_sha256"],
        "stage": row["stage"],
        "exitCode": row["exit_code"],
        "signal": row["signal"],
        "durationMs": row["duration_ms"],
        "timedOut": row["timed_out"],
        "memoryExceeded": row["memory_exceeded"],
        "outputTruncated": row["output_truncated"],
        "cancelled": row["cancelled"],
        "reason": row["reason"],
        "limit": row["limit_value"],
        "output": [{"stream": s, "data": d} for s, d in json.loads(bytes(row["output"]))],
    }


# -- history ---------------------------------------------------------------------------------


async def fetch_run(
    pool: asyncpg.Pool, session_id: str, run_id: str, cache: redis.Redis | None = None
) -> dict[str, Any]:
    """The run as recorded; while it is running and given `cache`, with its output so far
    and `outputSeq`, the `seq` of the next `run_output` event."""
    row = await pool.fetchrow(
        f"SELECT {_RUN_COLUMNS} FROM runs WHERE session_id = $1 AND id = $2",
        session_id,
        uuid.UUID(run_id),
    )
    if row is None:
        raise ApiError(ErrorCode.RUN_NOT_FOUND, "Run not found")
    run = run_from_row(row)
    if run["status"] == "running" and cache is not None:
        run["output"], run["outputSeq"] = await read_live_output(cache, session_id, run_id)
    return run


async def list_runs(
    pool: asyncpg.Pool, session_id: str, limit: int, before: int | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the session's runs, newest first, and the cursor of the next page."""
    rows = await pool.fetch(
        f"SELECT {_RUN_COLUMNS} FROM runs WHERE session_id = $1"
        " AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3",
        session_id,
        before,
        limit + 1,
    )
    next_cursor = str(rows[limit - 1]["seq"]) if len(rows) > limit else None
    return [run_from_row(row) for row in rows[:limit]], next_cursor


# -- output ----------------------------------------------------------------------------------


class CoalescedOutput:
    """Turns the sandbox's raw chunks into text events: decoded incrementally (a character
    split across two reads stays whole), at most one event per `FLUSH_SECONDS` (or per
    `FLUSH_BYTES`), a change of stream flushing first. Keeps what it sent, for the history."""

    def __init__(self, send: Callable[[StreamName, str], None]) -> None:
        self._send = send
        self._decoders = {
            name: codecs.getincrementaldecoder("utf-8")(errors="replace")
            for name in ("stdout", "stderr")
        }
        self._stream: StreamName | None = None
        self._parts: list[str] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._last_sent = -FLUSH_SECONDS
        self.kept: list[list[str]] = []

    def feed(self, stream: StreamName, chunk: bytes) -> None:
        text = self._decoders[stream].decode(chunk)
        if not text:
            return
        if self._stream is not None and self._stream != stream:
            self.flush()
        self._stream = stream
        self._parts.append(text)
        self._size += len(chunk)
        if self._timer is not None and self._size < FLUSH_BYTES:
            return
        # Leading edge: output after a quiet spell goes out at once (a prompt, the first
        # line); what follows within FLUSH_SECONDS waits for the timer.
        loop = asyncio.get_running_loop()
        wait = self._last_sent + FLUSH_SECONDS - loop.time()
        if wait <= 0 or self._size >= FLUSH_BYTES:
            self.flush()
        else:
            self._timer = loop.call_later(wait, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._stream is None or not self._parts:
            return
        stream, text = self._stream, "".join(self._parts)
        self._stream, self._parts, self._size = None, [], 0
        self._last_sent = asyncio.get_running_loop().time()
        if self.kept and self.kept[-1][0] == stream:
            self.kept[-1][1] += text
        else:
            self.kept.append([stream, text])
        self._send(stream, text)

    def close(self) -> None:
        """Send what is left, including a character cut off at the end."""
        for name, decoder in self._decoders.items():
            tail = decoder.decode(b"", final=True)
            if tail:
                if self._stream is not None and self._stream != name:
                    self.flush()
                self._stream = name  # type: ignore[assignment]
                self._parts.append(tail)
        self.flush()


# -- running ---------------------------------------------------------------------------------


@dataclass
class ActiveRun:
    """A run executing on this node."""

    id: str
    session_id: str
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class RunManager:
    def __init__(
        self,
        pool: asyncpg.Pool,
        cache: redis.Redis,
        registry: RoomRegistry,
        sandbox: Sandbox,
        settings: Settings,
    ) -> None:
        self.pool = pool
        self.cache = cache
        self.registry = registry
        self.sandbox = sandbox
        self.settings = settings
        # Shown in /api/v1/health/detailed (an unsafe sandbox, a weaker one).
        self.warnings: list[str] = []
        self.active: dict[str, ActiveRun] = {}
        self._stopping = False
        registry.control_handlers["cancel_run"] = self._cancel_here
        registry.control_handlers["close_session"] = self._session_closed

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
        if not isinstance(self.sandbox, SessionSandbox):
            self.sandbox.prepare(language, self.limits_for(language))

    async def start(self, room: Room, by: str, request: RunRequest) -> dict[str, Any]:
        """Check the request, take the session's run lock, record and start the run.
        Raises ApiError: 400 (language), 413 (sizes), 409 RUN_IN_PROGRESS."""
        if self._stopping:
            raise ApiError(ErrorCode.SERVICE_UNAVAILABLE, "The server is shutting down")
        session_id = room.session_id
        code = request.code if request.code is not None else room.code
        language = await self._runnable(
            request.language or room.language or await self._stored_language(session_id)
        )
        check_size("code", code, self.settings.max_code_bytes)
        check_size("stdin", request.stdin, MAX_STDIN_BYTES)
        limits = self.limits_for(language)

        run_id = str(uuid.uuid4())
        lock_ttl = int(limits.wall_time_s) + LOCK_MARGIN_SECONDS
        if isinstance(self.sandbox, SessionSandbox):
            # The run may first wait for its pod to start.
            lock_ttl += int(self.settings.k8s_start_timeout)
        if not await self.cache.set(run_lock_key(session_id), run_id, nx=True, ex=lock_ttl):
            running = await self.cache.get(run_lock_key(session_id))
            which = f" ({running.decode()})" if running else ""
            raise ApiError(
                ErrorCode.RUN_IN_PROGRESS,
                f"A run{which} is already in progress in this session; cancel it or wait",
            )
        try:
            run = await self._record_start(session_id, run_id, by, language.name, code)
        except BaseException:
            await self._release(session_id, run_id)
            raise
        active = ActiveRun(run_id, session_id)
        self.active[run_id] = active
        room.announce(
            "run_started",
            {"runId": run_id, "sessionId": session_id, "language": language.name, "by": by,
             "timestamp": run["startedAt"]},
        )  # fmt: skip
        live = LiveOutput(self.cache, session_id, run_id, lock_ttl)
        active.task = asyncio.get_running_loop().create_task(
            self._execute(active, room, language, code, request.stdin, limits, live),
            name=f"duet-run-{run_id}",
        )
        return run

    async def _runnable(self, name: str) -> Language:
        check_language(name)
        language = get_language(name)
        if not language.runnable:
            raise invalid(f"{name} is not runnable: it renders in the browser")
        if isinstance(self.sandbox, SessionSandbox):
            # Languages run in their images there, not in this machine's toolchains.
            available = {name} if self.sandbox.runs_language(name) else set()
        else:
            available = {info.name for info in await detect_languages() if info.available}
        if name not in available:
            raise invalid(f"{name} is not available on this server (see GET /api/v1/languages)")
        return language

    async def _stored_language(self, session_id: str) -> str:
        language = await self.pool.fetchval(
            "SELECT language FROM sessions WHERE id = $1", session_id
        )
        return language or ""

    async def _record_start(
        self, session_id: str, run_id: str, by: str, language: str, code: str
    ) -> dict[str, Any]:
        async with self.pool.acquire() as connection, connection.transaction():
            # A share lock on the session: ending it waits for this run to be recorded (and
            # then stops it), and no run starts once the end has committed.
            ended_at = await connection.fetchval(
                "SELECT ended_at FROM sessions WHERE id = $1 FOR SHARE", session_id
            )
            if ended_at is not None:
                raise ApiError(
                    ErrorCode.SESSION_ENDED,
                    "The interview has ended: code and language can no longer change and "
                    "nothing runs",
                )
            # We hold the session's lock, so any run still marked running was lost with
            # the node that ran it: close it as cancelled rather than leave it open.
            await connection.execute(
                "UPDATE runs SET status = 'finished', cancelled = true, reason = 'cancelled',"
                " finished_at = $2"
                " WHERE session_id = $1 AND status = 'running'",
                session_id,
                now_ms(),
            )
            row = await connection.fetchrow(
                "INSERT INTO runs (id, session_id, participant_id, language, code_sha256,"
                " started_at, status) VALUES ($1, $2, $3, $4, $5, $6, 'running')"
                f" RETURNING {_RUN_COLUMNS}",
                uuid.UUID(run_id),
                session_id,
                uuid.UUID(by),
                language,
                code_hash(code),
                now_ms(),
            )
        return run_from_row(row)

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
            # The room may have been closed and reopened (idle) while the program ran.
            current = self.registry.rooms.get(session_id, room)
            current.touch()
            current.announce(name, data)

        def send(stream: StreamName, text: str) -> None:
            nonlocal seq
            announce("run_output", {"runId": run_id, "stream": stream, "data": text, "seq": seq})
            live.append(seq, stream, text)
            seq += 1

        output = CoalescedOutput(send)

        async def on_output(stream: StreamName, chunk: bytes) -> None:
            output.feed(stream, chunk)

        started = time.monotonic()
        try:
            try:
                if isinstance(self.sandbox, SessionSandbox):
                    session = SessionContext(session_id, room.expires_at_ms, announce)
                    result = await self.sandbox.run_in_session(
                        session, language, code, stdin, on_output, active.cancel, limits
                    )
                else:
                    result = await self.sandbox.run(
                        language, code, stdin, on_output, active.cancel, limits
                    )
            except RunnerError as error:
                # Not the program's fault and not ours: say what went wrong, to everyone.
                log.warning("run %s of session %s: %s", run_id, session_id, error.message)
                output.feed("stderr", f"\nduet: {error.message}\n".encode())
                announce(
                    "run_error",
                    {"runId": run_id, "reason": error.reason, "message": error.message},
                )
                result = RunResult(
                    exit_code=None,
                    signal=None,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    cancelled=active.cancel.is_set(),
                )
            except Exception:
                log.exception("run %s of session %s failed in the sandbox", run_id, session_id)
                output.feed("stderr", b"\nduet: the sandbox failed to run this program\n")
                result = RunResult(
                    exit_code=None,
                    signal=None,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    cancelled=active.cancel.is_set(),
                )
            output.close()
            reason, limit = finish_reason(result, limits)
            await self._record_finish(session_id, run_id, result, reason, limit, output.kept)
        finally:
            with contextlib.suppress(Exception):
                await live.finish()
            self.active.pop(run_id, None)
            with contextlib.suppress(Exception):
                await self._release(session_id, run_id)
        announce(
            "run_finished",
            {"runId": run_id, "exitCode": result.exit_code, "signal": result.signal,
             "durationMs": result.duration_ms, "timedOut": result.timed_out,
             "memoryExceeded": result.memory_exceeded,
             "outputTruncated": result.output_truncated, "cancelled": result.cancelled,
             "stage": result.stage, "reason": reason, "limit": limit},
        )  # fmt: skip

    async def _record_finish(
        self,
        session_id: str,
        run_id: str,
        result: RunResult,
        reason: RunReason,
        limit: float | None,
        output: list[list[str]],
    ) -> None:
        try:
            async with self.pool.acquire() as connection, connection.transaction():
                row = await connection.fetchrow(
                    "UPDATE runs SET status = 'finished', finished_at = $3, stage = $4,"
                    " exit_code = $5, signal = $6, duration_ms = $7, timed_out = $8,"
                    " memory_exceeded = $9, output_truncated = $10, cancelled = $11,"
                    " output = $12, reason = $13, limit_value = $14"
                    " WHERE session_id = $1 AND id = $2"
                    f" RETURNING {_RUN_COLUMNS}",
                    session_id,
                    uuid.UUID(run_id),
                    now_ms(),
                    result.stage,
                    result.exit_code,
                    result.signal,
                    result.duration_ms,
                    result.timed_out,
                    result.memory_exceeded,
                    result.output_truncated,
                    result.cancelled,
                    json.dumps(output, ensure_ascii=False).encode("utf-8"),
                    reason,
                    limit,
                )
                organization_id = await connection.fetchval(
                    "SELECT organization_id FROM sessions WHERE id = $1", session_id
                )
                if row is not None:
                    # The output stays behind GET /runs/{id}: it can be a mebibyte.
                    run = {**run_from_row(row), "output": None}
                    await webhooks.enqueue(
                        connection, organization_id, "run.finished",
                        {"sessionId": session_id, "run": run}, now_ms(),
                    )  # fmt: skip
        except Exception:
            # The clients still get run_finished; only the history misses this result.
            log.exception("could not record the result of run %s", run_id)

    async def _release(self, session_id: str, run_id: str) -> None:
        await self.cache.eval(_RELEASE_LOCK, 1, run_lock_key(session_id), run_id)

    # -- cancelling ------------------------------------------------------------------------

    async def cancel(self, session_id: str, run_id: str | None) -> tuple[dict[str, Any], bool]:
        """Stop a run wherever it executes; without `run_id`, the session's current run.
        Returns the run as stored and whether it was still running (RUN_NOT_FOUND if none)."""
        if run_id is None:
            current = await self.cache.get(run_lock_key(session_id))
            if current is None:
                raise ApiError(ErrorCode.RUN_NOT_FOUND, "No run is in progress in this session")
            run_id = current.decode()
        run = await fetch_run(self.pool, session_id, run_id)
        if run["status"] != "running":
            return run, False
        active = self.active.get(run_id)
        if active is not None:
            active.cancel.set()
        else:
            await self.registry.publish_control(
                {"type": "cancel_run", "session_id": session_id, "run_id": run_id}
            )
        return run, True

    async def _cancel_here(self, message: dict[str, Any]) -> None:
        active = self.active.get(message.get("run_id", ""))
        if active is not None and active.session_id == message.get("session_id"):
            active.cancel.set()

    async def _session_closed(self, message: dict[str, Any]) -> None:
        # A deleted or expired session's program has nobody left to watch it.
        for active in list(self.active.values()):
            if active.session_id == message.get("session_id"):
                active.cancel.set()

    # -- the session's runtime (per-session backends) --------------------------------------

    async def release_session(self, session_id: str) -> None:
        """The session is gone: its pod goes too. Failures are left to the orphan sweep."""
        if isinstance(self.sandbox, SessionSandbox):
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

    # -- the realtime events ---------------------------------------------------------------

    async def handle_event(self, identity: Identity, room: Room, event: str, data: Any) -> None:
        """`run` and `run_cancel` from a connected client; refusals become RoomError (the
        gateway's `error` event) with the REST error's code."""
        try:
            # As JSON, so an event is read exactly like the same REST body.
            payload = json.dumps(data if data is not None else {})
            if event == "run":
                request = RunRequest.model_validate_json(payload)
                run = await self.start(room, identity.participant_id, request)
                actor = Actor("participant", identity.participant_id, None, None)
                await activity.record(
                    self.pool, actor, "run_started", now_ms(), session_id=identity.session_id,
                    details={"runId": run["id"]},
                )  # fmt: skip
            else:
                cancel = CancelRunEvent.model_validate_json(payload)
                run_id = str(cancel.run_id) if cancel.run_id is not None else None
                await self.cancel(identity.session_id, run_id)
        except ValidationError as error:
            raise RoomError("INVALID_MESSAGE", describe_validation_error(error)) from None
        except ApiError as error:
            code = "INVALID_MESSAGE" if error.code == ErrorCode.INVALID_REQUEST else error.code
            raise RoomError(str(code), error.message) from None


class SandboxUnavailable(RuntimeError):
    """The configured sandbox cannot run code here: the server refuses to start."""


UNSAFE_WARNING = (
    "DUET_RUNNER=unsafe-subprocess: submitted code runs WITHOUT isolation, with this "
    "server's privileges; for development only"
)


async def open_sandbox(settings: Settings, cache: redis.Redis) -> tuple[Sandbox, list[str]]:
    """The sandbox `settings.runner` names, checked; and the warnings to show for it."""
    if settings.runner == "kubernetes":
        return await _open_kubernetes(settings, cache)
    if settings.runner == "unsafe-subprocess":
        log.warning(UNSAFE_WARNING)
        return create_local_sandbox("unsafe-subprocess"), [UNSAFE_WARNING]
    protected = [settings.data_dir]
    check = await check_bubblewrap(protected)
    if not check.usable:
        raise SandboxUnavailable(
            f"The bubblewrap sandbox is unusable here: {check.reason}. Fix that, or set "
            "DUET_RUNNER=unsafe-subprocess to run code without isolation (development only)."
        )
    for warning in check.warnings:
        log.warning("sandbox: %s", warning)
    sandbox = create_local_sandbox(
        "bubblewrap", protected_paths=protected, standby=settings.runner_standby
    )
    return sandbox, list(check.warnings)


async def _open_kubernetes(settings: Settings, cache: redis.Redis) -> tuple[Sandbox, list[str]]:
    try:
        sandbox = await KubernetesSandbox.open(settings.kube_settings(), cache)
    except RunnerError as error:
        raise SandboxUnavailable(error.message) from None
    check = await sandbox.check()
    if not check.usable:
        await sandbox.close()
        raise SandboxUnavailable(f"The Kubernetes runner is unusable: {check.reason}")
    for warning in check.warnings:
        log.warning("kubernetes runner: %s", warning)
    sandbox.start()
    return sandbox, list(check.warnings)
