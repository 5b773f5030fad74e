"""The code-execution API the server calls: one protocol for every backend.

    sandbox, warnings = await open_backend("bubblewrap", cache=cache, protected_paths=[data_dir])
    job = RunJob.of(get_language("python"), code, stdin=stdin, on_output=show, cancel=cancel)
    result = await sandbox.run(job, SessionContext(session_id, expires_at_ms, announce))
    await sandbox.close()                   # on shutdown: ends sandboxes started ahead

`job.on_output(stream, chunk)` receives raw bytes as the program writes them ("stdout" or
"stderr"; arbitrary bytes, not necessarily UTF-8). A compile error is stderr output and
a RunResult with stage="compile" and a non-zero exit code, never an exception. Setting
`job.cancel` stops the run promptly and kills every process it started.

The session: a backend that keeps something per session (the Kubernetes pod) is given it
with each run, may announce events to its room, and is told when the session goes. The
local backends start from nothing on every run; for them the session calls do nothing
(`runner/local.py`), and `keeps_sessions` is False.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from runner.job import RunJob
from runner.languages import Language, LanguageInfo
from runner.limits import RunLimits, RunResult, SandboxCheck
from runner.streaming import OutputCallback, StreamName

__all__ = [
    "NO_SESSION",
    "EventCallback",
    "LiveSessions",
    "OutputCallback",
    "RunJob",
    "RunLimits",
    "RunResult",
    "Sandbox",
    "SandboxCheck",
    "SessionContext",
    "StreamName",
    "no_runtime",
]

EventCallback = Callable[[str, dict[str, Any]], None]
# Of the session ids given, those still live (the pod sweep deletes the pods of the rest).
LiveSessions = Callable[[list[str]], Awaitable[Iterable[str]]]


@dataclass(frozen=True)
class SessionContext:
    session_id: str
    # Epoch ms; nothing started for the session may outlive it.
    expires_at_ms: int
    # Announces an event to the session's room (every client, every node).
    on_event: EventCallback


# For callers with no session (the runner's own tests, benchmarks): the local backends
# ignore the session, and the Kubernetes backend refuses to run without one.
NO_SESSION = SessionContext("", 0, lambda _name, _data: None)


def no_runtime(backend: str, state: str) -> dict[str, Any]:
    """The runtime answer when nothing runs for the session (no pod, or a local runner)."""
    return {
        "backend": backend, "state": state, "pod": None, "node": None, "language": None,
        "image": None, "ageSeconds": None, "failure": None, "usage": None,
    }  # fmt: skip


class Sandbox(Protocol):
    # The runtime's `backend`: "bubblewrap", "unsafe-subprocess" or "kubernetes".
    name: str
    # True where a session has a runtime of its own to restart, stop and sweep (a pod).
    keeps_sessions: bool
    # Added to a run's lock: the time a run may first wait for its session's runtime.
    start_allowance_s: float

    async def check(self) -> SandboxCheck: ...

    async def languages(self) -> list[LanguageInfo]:
        """What runs here, and in which version."""

    def prepare(self, language: Language, limits: RunLimits) -> None:
        """A hint that a run in `language` may come soon; may do nothing."""

    def expecting(
        self, language: Language, limits: RunLimits, count: int
    ) -> contextlib.AbstractContextManager[None]:
        """While the block runs, up to `count` runs in `language` come at once (a
        question's tests): a backend that builds sandboxes ahead builds that many."""

    def standby_stats(self) -> dict[str, int]:
        """The sandboxes started ahead on this node (`ready`, `building`, `hits`,
        `misses`); empty where none are (a Kubernetes warm pool lives in the cluster)."""

    async def run(self, job: RunJob, session: SessionContext) -> RunResult: ...

    async def describe_session(self, session_id: str) -> dict[str, Any]: ...

    async def restart_session(self, session: SessionContext, language: Language) -> None:
        """A fresh runtime for the session; NoSessionRuntime where there is none."""

    async def release_session(self, session_id: str) -> None: ...

    async def sweep_sessions(self, live: LiveSessions) -> tuple[list[str], list[str]]:
        """Delete idle runtimes and those of sessions gone: (idle, orphans)."""

    async def close(self) -> None: ...
