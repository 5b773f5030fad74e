"""Choosing, building and checking the backend a server runs code with.

    sandbox, warnings = await open_backend(settings.runner, cache=cache, protected_paths=[data_dir])

The server passes what it configures (the runner's name, the paths the code must never
see, the standby count, the Kubernetes settings); nothing here reads the server's config.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Literal

import redis.asyncio as redis

from runner.bubblewrap import BubblewrapSandbox
from runner.errors import RunnerError
from runner.kubernetes.backend import KubernetesSandbox
from runner.kubernetes.settings import KubeSettings
from runner.limits import SandboxCheck
from runner.sandbox import Sandbox
from runner.unsafe_subprocess import UnsafeSubprocessSandbox

log = logging.getLogger(__name__)

SandboxKind = Literal["bubblewrap", "unsafe-subprocess"]
BackendKind = Literal["bubblewrap", "unsafe-subprocess", "kubernetes"]

UNSAFE_WARNING = (
    "DUET_RUNNER=unsafe-subprocess: submitted code runs WITHOUT isolation, with this "
    "server's privileges; for development only"
)


class SandboxUnavailable(RuntimeError):
    """The configured sandbox cannot run code here: the server refuses to start."""


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


async def open_backend(
    kind: BackendKind,
    *,
    cache: redis.Redis,
    protected_paths: Sequence[str | os.PathLike[str]] = (),
    standby: int = 1,
    kube: KubeSettings | None = None,
) -> tuple[Sandbox, list[str]]:
    """The backend `kind` names, checked and started; and the warnings to show for it.
    Raises SandboxUnavailable when it cannot run code here."""
    if kind == "kubernetes":
        return await _open_kubernetes(kube or KubeSettings(), cache)
    if kind == "unsafe-subprocess":
        log.warning(UNSAFE_WARNING)
        return create_local_sandbox("unsafe-subprocess"), [UNSAFE_WARNING]
    check = await check_bubblewrap(protected_paths)
    if not check.usable:
        raise SandboxUnavailable(
            f"The bubblewrap sandbox is unusable here: {check.reason}. Fix that, or set "
            "DUET_RUNNER=unsafe-subprocess to run code without isolation (development only)."
        )
    for warning in check.warnings:
        log.warning("sandbox: %s", warning)
    sandbox = create_local_sandbox("bubblewrap", protected_paths=protected_paths, standby=standby)
    return sandbox, list(check.warnings)


async def _open_kubernetes(settings: KubeSettings, cache: redis.Redis) -> tuple[Sandbox, list[str]]:
    try:
        sandbox = await KubernetesSandbox.open(settings, cache)
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
