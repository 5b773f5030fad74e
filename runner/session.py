"""Backends that keep something per session (a pod) and what they are told about it.

The local sandboxes start from nothing on every run and only implement `Sandbox`. A
backend that also implements `SessionSandbox` is given the session with each run, may
announce events to its room (pod lifecycle), and is told when the session goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from runner.languages import Language
from runner.limits import RunLimits, RunResult
from runner.streaming import OutputCallback

EventCallback = Callable[[str, dict[str, Any]], None]


def no_runtime(backend: str, state: str) -> dict[str, Any]:
    """The runtime answer when nothing runs for the session (no pod, or a local runner)."""
    return {
        "backend": backend, "state": state, "pod": None, "node": None, "language": None,
        "image": None, "ageSeconds": None, "failure": None, "usage": None,
    }  # fmt: skip


@dataclass(frozen=True)
class SessionContext:
    session_id: str
    # Epoch ms; nothing started for the session may outlive it.
    expires_at_ms: int
    # Announces an event to the session's room (every client, every node).
    on_event: EventCallback


@runtime_checkable
class SessionSandbox(Protocol):
    def runs_language(self, name: str) -> bool: ...

    async def run_in_session(
        self,
        session: SessionContext,
        language: Language,
        code: str,
        stdin: str | bytes | None,
        on_output: OutputCallback,
        cancel: asyncio.Event | None = None,
        limits: RunLimits | None = None,
    ) -> RunResult: ...

    async def describe_session(self, session_id: str) -> dict[str, Any]: ...

    async def restart_session(self, session: SessionContext, language: Language) -> None: ...

    async def release_session(self, session_id: str) -> None: ...
