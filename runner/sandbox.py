"""The code-execution API the server calls.

    sandbox = create_local_sandbox("bubblewrap", protected_paths=[data_dir])
    status = await sandbox.check()          # refuse to start if not status.usable
    result = await sandbox.run(get_language("python"), code, stdin, on_output, cancel)
    await sandbox.close()                   # on shutdown: ends sandboxes started ahead

`on_output(stream, chunk)` receives raw bytes as the program writes them ("stdout" or
"stderr"; arbitrary bytes, not necessarily UTF-8). A compile error is stderr output and
a RunResult with stage="compile" and a non-zero exit code, never an exception. Setting
`cancel` stops the run promptly and kills every process it started.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Literal, Protocol

from runner.bubblewrap import BubblewrapSandbox
from runner.languages import Language
from runner.limits import RunLimits, RunResult, SandboxCheck
from runner.streaming import OutputCallback, StreamName
from runner.unsafe_subprocess import UnsafeSubprocessSandbox

__all__ = [
    "BubblewrapSandbox",
    "OutputCallback",
    "RunLimits",
    "RunResult",
    "Sandbox",
    "SandboxCheck",
    "StreamName",
    "UnsafeSubprocessSandbox",
    "check_bubblewrap",
    "create_local_sandbox",
]

SandboxKind = Literal["bubblewrap", "unsafe-subprocess"]


class Sandbox(Protocol):
    async def run(
        self,
        language: Language,
        code: str,
        stdin: str | bytes | None,
        on_output: OutputCallback,
        cancel: asyncio.Event | None = None,
        limits: RunLimits | None = None,
    ) -> RunResult: ...

    async def check(self) -> SandboxCheck: ...

    def prepare(self, language: Language, limits: RunLimits) -> None:
        """A hint that a run in `language` may come soon; may do nothing."""

    async def close(self) -> None: ...


def create_local_sandbox(
    kind: SandboxKind = "bubblewrap",
    *,
    protected_paths: Sequence[str | os.PathLike[str]] = (),
    standby: int = 1,
) -> Sandbox:
    """`protected_paths`: data dir, config and database files the code must never see;
    `standby`: bubblewrap sandboxes kept started ahead per recently used language."""
    if kind == "bubblewrap":
        return BubblewrapSandbox(protected_paths=protected_paths, standby=standby)
    if kind == "unsafe-subprocess":
        return UnsafeSubprocessSandbox()
    raise ValueError(f"unknown sandbox kind {kind!r}")


async def check_bubblewrap(
    protected_paths: Sequence[str | os.PathLike[str]] = (),
) -> SandboxCheck:
    """Whether bubblewrap sandboxes work on this machine; `reason` says why not."""
    return await BubblewrapSandbox(protected_paths=protected_paths).check()
