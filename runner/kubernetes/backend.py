"""The Kubernetes Sandbox: each session's code runs by exec in the session's own pod.

A run copies the files in (one exec, a tar on stdin), then execs each step (compile, run)
under the in-pod limits of `commands`, streaming stdout and stderr to `on_output` and
the run's stdin in (closed on v5; from a file on v4). The wall clock is also kept here;
a run that outlives it, is cancelled or exhausts its output budget is killed in the pod
by one more exec, since closing the stream would leave it running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import time
from typing import Any

import aiohttp
import redis.asyncio as redis
from kubernetes_asyncio.client.exceptions import ApiException

from runner.errors import RunnerError
from runner.job import RunJob
from runner.kubernetes import podstatus
from runner.kubernetes.api import KubeApi, connect, load_configuration
from runner.kubernetes.api_errors import as_runner_error, call
from runner.kubernetes.channels import STDOUT, V4, exec_in_pod
from runner.kubernetes.commands import KILL, STDIN_FILE, UPLOAD, step_command, workspace_tar
from runner.kubernetes.describe import describe_session_pod
from runner.kubernetes.pods import PodManager
from runner.kubernetes.podspec import WORKSPACE
from runner.kubernetes.settings import KubeSettings
from runner.kubernetes.sweeps import PodSweeper
from runner.kubernetes.warm_pool import WarmPool
from runner.languages import LANGUAGES, Language, LanguageInfo
from runner.limits import RunLimits, RunResult, SandboxCheck
from runner.sandbox import LiveSessions, SessionContext
from runner.streaming import OutputBudget
from schema import keys

log = logging.getLogger(__name__)

# How long past its own in-pod timeout a step may take before it is killed from here
# (the exec's round trip, a slow node).
WALL_GRACE_S = 2.0
KILL_WAIT_S = 2.0
# A cancel must not wait on a hung API server for long; the in-pod timeout still holds.
KILL_TIMEOUT_S = 5.0
_VERSION = re.compile(r"\d+(?:\.\d+)*")


def _signal_of(code: int) -> str | None:
    # Inside a container a process killed by a signal reports 128 + its number.
    if code > 128:
        with contextlib.suppress(ValueError):
            return signal.Signals(code - 128).name
    return None


class KubernetesSandbox:
    name = "kubernetes"
    keeps_sessions = True

    def __init__(self, api: KubeApi, settings: KubeSettings, cache: redis.Redis) -> None:
        self.api = api
        self.settings = settings
        self.cache = cache
        self.warm_pool = WarmPool(api, settings, cache)
        self.pods = PodManager(api, settings, cache, self.warm_pool)
        self.sweeper = PodSweeper(self.pods, settings, cache)
        # Learnt from the first exec: on v4 stdin cannot be closed, so it goes in a file.
        self.protocol: str | None = None
        # A run may first wait for its session's pod to start.
        self.start_allowance_s = float(settings.start_timeout_s)

    @classmethod
    async def open(cls, settings: KubeSettings, cache: redis.Redis) -> KubernetesSandbox:
        try:
            configuration = await load_configuration(settings.kubeconfig)
        except Exception as error:
            raise RunnerError(
                f"no Kubernetes configuration: {error} (run in a cluster, or set KUBECONFIG)",
                "NoConfiguration",
            ) from error
        return cls(connect(configuration), settings, cache)

    def start(self) -> None:
        self.warm_pool.start()

    async def close(self) -> None:
        await self.warm_pool.close()
        await self.api.close()

    def prepare(self, language: Language, limits: RunLimits) -> None:
        pass  # the warm pool (DUET_K8S_WARM_POOL) keeps pods ready per language

    def standby_stats(self) -> dict[str, int]:
        return {}

    def expecting(
        self, language: Language, limits: RunLimits, count: int
    ) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # tests run in the session's pod, one at a time

    async def check(self) -> SandboxCheck:
        try:
            await call(
                "list pods",
                self.api.host,
                lambda: self.api.core.list_namespaced_pod(self.settings.namespace, limit=1),
            )
        except RunnerError as error:
            if error.reason in ("Forbidden", "Unauthorized"):
                return SandboxCheck(False, error.message)
            # Unreachable now may be reachable in a moment; runs will say so until then.
            return SandboxCheck(True, None, (error.message,))
        return SandboxCheck(True)

    async def languages(self) -> list[LanguageInfo]:
        """What runs here: every language with an image; the version read from its tag."""
        found = []
        for name, language in LANGUAGES.items():
            image = self.settings.image_for(name) if language.runnable else None
            tag = image.rsplit(":", 1)[-1] if image and ":" in image else ""
            version = _VERSION.search(tag)
            found.append(
                LanguageInfo(
                    name=name,
                    version=version.group(0) if version else None,
                    available=not language.runnable or image is not None,
                    runnable=language.runnable,
                )
            )
        return found

    # -- a run -----------------------------------------------------------------------------

    async def run(self, job: RunJob, session: SessionContext) -> RunResult:
        if not session.session_id:
            raise RunnerError("the Kubernetes runner runs code in a session's pod", "NoSession")
        language, limits, cancel = job.language, job.limits, job.cancel
        # On v4 stdin cannot be closed, so it also travels as a file.
        files = {**job.files, STDIN_FILE.removeprefix(WORKSPACE + "/"): job.stdin}
        pod = await self._upload(session, language, workspace_tar(files))
        # The run's clock starts now: a pod's cold start is not the program's time.
        started = time.monotonic()
        budget = OutputBudget(limits.output_bytes, job.on_output)
        result = RunResult(exit_code=None, signal=None, duration_ms=0)
        for stage, argv in job.steps:
            left = limits.wall_time_s - (time.monotonic() - started)
            if left <= 0:
                result = RunResult(None, "SIGKILL", 0, timed_out=True, stage=stage)  # type: ignore[arg-type]
                break
            result = await self._step(
                pod,
                stage,
                argv,
                left,
                limits,
                job.stdin if stage == "run" else b"",
                budget,
                cancel,
            )
            if result.exit_code != 0 or result.signal or result.cancelled or result.timed_out:
                break
        result.duration_ms = int((time.monotonic() - started) * 1000)
        result.output_truncated = budget.truncated
        await self.pods.touch(session.session_id)
        return result

    async def _upload(self, session: SessionContext, language: Language, tar: bytes) -> str:
        """Put the run's files in the session's pod; its name. A pod that vanished since we
        last used it (idle deletion, another server's sweep) is replaced once."""
        for attempt in (1, 2):
            pod = await self.pods.session_pod(session, language)
            errors: list[bytes] = []

            async def collect(_channel: int, data: bytes, errors: list[bytes] = errors) -> None:
                errors.append(data)

            try:
                done = await call(
                    f"copy the code into the pod {pod}",
                    self.api.host,
                    lambda pod=pod, collect=collect: exec_in_pod(
                        self.api,
                        self.settings.namespace,
                        pod,
                        UPLOAD,
                        stdin=tar,
                        on_output=collect,
                    ),
                    passthrough=(),
                )
            except RunnerError as error:
                if attempt == 1 and error.reason == "ExecRefused":
                    self.pods.forget(session.session_id)
                    current = await self.pods.read(pod)
                    if current is None or not podstatus.is_ready(current):
                        continue
                raise
            self.protocol = done.protocol
            if done.exit_code != 0:
                detail = b"".join(errors).decode("utf-8", "replace").strip()
                raise RunnerError(
                    f"could not copy the code into the pod (exit {done.exit_code}): {detail}",
                    "UploadFailed",
                )
            return pod
        raise AssertionError("unreachable")

    async def _step(
        self,
        pod: str,
        stage: str,
        argv: list[str],
        left_s: float,
        limits: RunLimits,
        stdin: bytes,
        budget: OutputBudget,
        cancel: asyncio.Event,
    ) -> RunResult:
        v4 = self.protocol == V4
        command = step_command(
            argv,
            wall_s=left_s,
            cpu_s=limits.cpu_time_s,
            file_size_bytes=limits.file_size_bytes,
            stdin_file=v4 and stage == "run",
        )
        started = time.monotonic()
        running = asyncio.create_task(
            exec_in_pod(
                self.api,
                self.settings.namespace,
                pod,
                command,
                stdin=None if v4 else stdin,
                on_output=lambda channel, data: budget.take(
                    "stdout" if channel == STDOUT else "stderr", data
                ),
            )
        )
        stops = [asyncio.create_task(cancel.wait()), asyncio.create_task(budget.exhausted.wait())]
        timed_out = killed = False
        try:
            await asyncio.wait(
                [running, *stops],
                timeout=left_s + WALL_GRACE_S,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not running.done():
                timed_out = not cancel.is_set() and not budget.exhausted.is_set()
                killed = True
                await self._kill(pod)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(running), KILL_WAIT_S)
            if not running.done():
                running.cancel()
            try:
                done = await running
                code = done.exit_code
            except asyncio.CancelledError:
                code = None
            except RunnerError:
                raise
            except (aiohttp.ClientError, OSError, ApiException) as error:
                raise as_runner_error(
                    error, f"run the program in the pod {pod}", self.api.host
                ) from error
        except BaseException:
            if not running.done():
                running.cancel()
                await asyncio.shield(self._kill(pod))
            raise
        finally:
            for task in stops:
                task.cancel()
        elapsed = time.monotonic() - started
        signal_name = _signal_of(code) if code is not None else ("SIGKILL" if killed else None)
        memory_exceeded = False
        if not killed and (code is None or signal_name == "SIGKILL"):
            # Killed from outside the step: the container's memory limit, perhaps.
            memory_exceeded = await self._oom_killed(pod)
            if memory_exceeded:
                signal_name = "SIGKILL"
        if signal_name is None and code is None:
            raise RunnerError("the exec stream ended without the program's exit status", "ExecLost")
        # `timeout -s KILL` ends the step with 137 when its clock runs out.
        timed_out = timed_out or (signal_name == "SIGKILL" and elapsed >= left_s - 0.05)
        return RunResult(
            exit_code=None if signal_name else code,
            signal=signal_name,
            duration_ms=int(elapsed * 1000),
            timed_out=timed_out and not memory_exceeded,
            memory_exceeded=memory_exceeded,
            cancelled=cancel.is_set(),
            stage=stage,  # type: ignore[arg-type]
        )

    async def _oom_killed(self, name: str) -> bool:
        try:
            pod = await self.pods.read(name)
        except RunnerError:
            return False
        if pod is None or not podstatus.oom_killed(pod):
            return False
        # The container is gone with its pod (restartPolicy Never): the next run gets a
        # new one.
        self.pods.known = {k: v for k, v in self.pods.known.items() if v[0] != name}
        return True

    async def _kill(self, pod: str) -> None:
        async def ignore(_channel: int, _data: bytes) -> None:
            return None

        try:
            await call(
                f"stop the program in the pod {pod}",
                self.api.host,
                lambda: exec_in_pod(
                    self.api, self.settings.namespace, pod, KILL, stdin=None, on_output=ignore
                ),
                attempts=2,
                timeout_s=KILL_TIMEOUT_S,
            )
        except RunnerError:
            log.warning("could not stop a program in pod %s", pod, exc_info=True)

    # -- the session's runtime -------------------------------------------------------------

    async def describe_session(self, session_id: str) -> dict[str, Any]:
        return await describe_session_pod(self.api, self.pods, session_id)

    async def restart_session(self, session: SessionContext, language: Language) -> None:
        """A fresh pod for the session: the old one deleted, the new one started."""
        await self.pods.delete_session_pods(session.session_id)
        await self.pods.session_pod(session, language)

    async def release_session(self, session_id: str) -> None:
        await self.pods.delete_session_pods(session_id)
        await self.cache.delete(keys.pod_used(session_id))

    # -- sweeps ----------------------------------------------------------------------------

    async def sweep_sessions(self, live: LiveSessions) -> tuple[list[str], list[str]]:
        orphans = await self.sweeper.sweep_orphans(live)
        idle = await self.sweep_idle()
        return idle, orphans

    async def sweep_idle(self, now: float | None = None) -> list[str]:
        return await self.sweeper.sweep_idle(now)
