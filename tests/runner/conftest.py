"""Shared helpers for the runner tests: one sandbox per test, captured output."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from runner.bubblewrap import BubblewrapSandbox
from runner.job import RunJob
from runner.languages import get_language
from runner.limits import RunLimits, RunResult
from runner.sandbox import NO_SESSION, Sandbox


@dataclass
class Captured:
    result: RunResult
    chunks: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def stdout(self) -> bytes:
        return b"".join(data for name, data in self.chunks if name == "stdout")

    @property
    def stderr(self) -> bytes:
        return b"".join(data for name, data in self.chunks if name == "stderr")

    @property
    def text(self) -> str:
        return self.stdout.decode(errors="replace")


async def run_code(
    sandbox: Sandbox,
    language: str,
    code: str,
    stdin: str | bytes | None = None,
    *,
    limits: RunLimits | None = None,
    cancel: asyncio.Event | None = None,
    on_chunk: Callable[[str, bytes], Awaitable[None]] | None = None,
) -> Captured:
    chunks: list[tuple[str, bytes]] = []

    async def on_output(name: str, data: bytes) -> None:
        chunks.append((name, data))
        if on_chunk is not None:
            await on_chunk(name, data)

    job = RunJob.of(
        get_language(language), code, stdin=stdin, on_output=on_output, cancel=cancel,
        limits=limits,
    )  # fmt: skip
    result = await sandbox.run(job, NO_SESSION)
    return Captured(result, chunks)


async def assert_still_works(sandbox: Sandbox) -> None:
    """After a hostile program, an ordinary run must behave normally."""
    cap = await run_code(sandbox, "python", "print(input()[::-1])", "olleh\n")
    assert cap.result.exit_code == 0, cap
    assert cap.stdout == b"hello\n"


@pytest.fixture
async def sandbox() -> AsyncIterator[BubblewrapSandbox]:
    # Per test: the sandboxes it keeps standing by belong to the test's event loop.
    sandbox = BubblewrapSandbox()
    yield sandbox
    await sandbox.close()
