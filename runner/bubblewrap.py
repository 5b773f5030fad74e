"""Runs each program in a fresh bubblewrap sandbox.

What the sandbox sees: the system directories read-only (/usr and the /bin, /lib...
links or dirs, a few named files under /etc), the toolchain prefixes the language table
asks for (read-only), a fresh size-limited tmpfs for the workspace, /tmp, /var/tmp and
/dev/shm, a private /proc and /dev, and nothing else: not the server's data dir, config,
database, repo, home, or any other run's files. Namespaces: mount, PID (the supervisor is
PID 1, so everything dies with it), network (only its own loopback), IPC, UTS, cgroup,
and user. No capabilities, no_new_privs, a seccomp filter, uid 65534, a clean
environment. Limits: rlimits set by the supervisor, a per-run cgroup for memory and
process count when the server may create one, the output budget and wall clock here.

A sandbox is started before its run's code is known (see runner/standby.py): the
supervisor waits for the spec (steps, limits, files) on a pipe and writes the files into
the empty workspace itself. Each sandbox serves exactly one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import shutil
import uuid
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from runner import seccomp
from runner.cgroups import CgroupManager, RunCgroup
from runner.job import RunJob
from runner.languages import LANGUAGES, PYTHON_EXE, SANDBOX_PATH, Language
from runner.limits import RunLimits, RunResult, SandboxCheck
from runner.local import LocalSessions
from runner.native import build_launcher, build_native_supervisor
from runner.sandbox import SessionContext
from runner.spawn import SpawnedProcess, spawn
from runner.standby import Standby
from runner.streaming import OutputCallback, drive, read_available
from runner.supervisor_spec import (
    READY,
    SupervisorSpec,
    read_report,
    run_result,
    step_rlimits,
    write_all_and_close,
)
from runner.userns import create_user_namespace

log = logging.getLogger(__name__)

SUPERVISOR = Path(__file__).with_name("supervisor.py")
WORKDIR = "/workspace"
_SUPERVISOR_IN_SANDBOX = "/.duet/supervisor.py"
# A sandbox normally starts in a few ms; past this its run goes ahead and reports.
_READY_TIMEOUT_S = 5.0
_NATIVE_SUPERVISOR_IN_SANDBOX = "/.duet/supervisor"

# Files and directories under /etc that toolchains read; everything else there (shadow,
# ssh keys, the server's config) stays invisible.
_ETC_PATHS = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/ssl/openssl.cnf",
)
# Top-level system paths: merged-/usr symlinks are recreated as symlinks, real
# directories are bound read-only.
_SYSTEM_TOP = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

_PASSWD = "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n{user}:x:{uid}:{gid}::{home}:/bin/sh\n"
_GROUP = "root:x:0:\n{user}:x:{gid}:\n"
_HOSTS = "127.0.0.1 localhost sandbox\n::1 localhost\n"
_CGROUP_TRAMPOLINE = (
    'while [ "$1" != -- ]; do echo $$ >"$1" || exit 125; shift; done; shift; exec "$@"'
)


def _standby_key(language: Language, limits: RunLimits) -> tuple[str, RunLimits]:
    """What a sandbox is built for. The wall clock and the output budget are the run's,
    applied while it is driven, so runs that differ only there (a question's tests, each
    with its own `timeoutMs`) share the sandboxes started ahead."""
    return language.name, dataclasses.replace(
        limits, wall_time_s=RunLimits.wall_time_s, output_bytes=RunLimits.output_bytes
    )


def _is_within(path: str, root: str) -> bool:
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip("/") + "/")


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class BubblewrapSandbox(LocalSessions):
    """Local sandbox built on bubblewrap. Safe for untrusted code; see the module doc."""

    name = "bubblewrap"

    def __init__(
        self,
        *,
        protected_paths: Sequence[str | os.PathLike[str]] = (),
        bwrap: str = "bwrap",
        sandbox_uid: int = 65534,
        sandbox_gid: int = 65534,
        supervisor_python: str = PYTHON_EXE,
        native_supervisor: bool = True,
        native_launcher: bool = True,
        use_cgroups: bool = True,
        standby: int = 1,
    ) -> None:
        """`protected_paths`: the data dir, config and database files; `check()` fails if
        any of them is visible inside the sandbox through a bound toolchain directory.
        `standby`: sandboxes kept started per recently used language (0: build each
        sandbox when its run comes)."""
        self.protected_paths = [os.fspath(p) for p in protected_paths]
        self.bwrap = shutil.which(bwrap) or bwrap
        self.uid = sandbox_uid
        self.gid = sandbox_gid
        self.supervisor_python = supervisor_python
        # The C supervisor when it can be built here, else the Python one (slower start).
        self.native_supervisor = build_native_supervisor() if native_supervisor else None
        # The C launcher when it can be built here, else a shell and `unshare` (~4 ms more).
        self.launcher = build_launcher() if native_launcher else None
        self._as_root = os.geteuid() == 0
        self._filter = seccomp.build_filter()
        self._cgroups: CgroupManager | None = None
        self._cgroup_problem: str | None = "cgroups disabled"
        if use_cgroups:
            manager = CgroupManager()
            self._cgroup_problem = manager.probe()
            if self._cgroup_problem is None:
                self._cgroups = manager
        self._standby: Standby[tuple[str, RunLimits], _Box] = Standby(
            self._launch_key, _close, lambda box: box.waiting, depth=standby
        )

    # -- layout ---------------------------------------------------------------------

    def _bound_paths(self, language: Language | None) -> list[str]:
        paths = ["/usr", *_ETC_PATHS]
        paths += [str(p) for p in sorted(Path("/etc").glob("java-*"))]
        paths.append(os.path.dirname(os.path.dirname(self.supervisor_python)))
        if language is not None:
            paths += list(language.extra_paths)
        return paths

    def _layout_args(self, language: Language | None, limits: RunLimits) -> list[str]:
        args: list[str] = []
        for top in _SYSTEM_TOP:
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        seen: set[str] = set()
        made_dirs: set[str] = {"/"}
        for path in self._bound_paths(language):
            if path in seen or (_is_within(path, "/usr") and path != "/usr"):
                continue
            seen.add(path)
            # The parents bwrap creates for a mount point are 0700 (as namespace root),
            # unreachable for the sandbox user. Create them ourselves, traversable; only
            # what is bound into them is visible.
            parents = []
            parent = os.path.dirname(path)
            while parent not in made_dirs:
                parents.append(parent)
                made_dirs.add(parent)
                parent = os.path.dirname(parent)
            for directory in reversed(parents):
                args += ["--perms", "0755", "--dir", directory]
            args += ["--ro-bind-try", path, path]
        for path in language.hidden_paths if language is not None else ():
            args += ["--perms", "0755", "--size", "4096", "--tmpfs", path]
        args += ["--proc", "/proc", "--dev", "/dev"]
        size = str(limits.workspace_bytes)
        args += ["--perms", "0755", "--dir", "/var"]
        for tmp in ("/tmp", "/var/tmp", "/dev/shm"):
            args += ["--perms", "1777", "--size", size, "--tmpfs", tmp]
        args += ["--perms", "0755", "--size", size, "--tmpfs", WORKDIR]
        args += ["--perms", "0755", "--dir", "/.duet"]
        if self.native_supervisor is not None:
            args += ["--ro-bind", str(self.native_supervisor), _NATIVE_SUPERVISOR_IN_SANDBOX]
        else:
            args += ["--ro-bind", str(SUPERVISOR), _SUPERVISOR_IN_SANDBOX]
        return args

    # -- checks ---------------------------------------------------------------------

    def _static_problem(self) -> str | None:
        if shutil.which(self.bwrap) is None:
            return f"bubblewrap ({self.bwrap}) is not installed"
        if self.native_supervisor is None and not os.path.exists(self.supervisor_python):
            return f"interpreter {self.supervisor_python} not found"
        bound = [p for lang in (None, *LANGUAGES.values()) for p in self._bound_paths(lang)]
        for protected in self.protected_paths:
            for path in bound:
                if os.path.exists(path) and _is_within(protected, path):
                    return f"{protected} would be visible in the sandbox via {path}"
        return None

    async def check(self) -> SandboxCheck:
        """Whether runs can work here, and if not, why (shown to the operator)."""
        problem = self._static_problem()
        if problem is not None:
            return SandboxCheck(False, problem)
        errors = bytearray()

        async def collect(_: str, data: bytes) -> None:
            errors.extend(data)

        try:
            result = await self.run_steps(
                [("run", ["/bin/sh", "-c", "exit 0"])], None, None, collect, None, RunLimits()
            )
        except OSError as exc:
            return SandboxCheck(False, f"cannot start bubblewrap: {exc}")
        if result.exit_code != 0:
            detail = errors.decode(errors="replace").strip() or f"result {result}"
            return SandboxCheck(False, f"bubblewrap sandbox failed to start: {detail}")
        warnings: list[str] = []
        if self._filter is None:
            warnings.append("no seccomp filter for this CPU architecture")
        if self._cgroups is None:
            warnings.append(f"no per-run cgroups ({self._cgroup_problem}); using rlimits")
        return SandboxCheck(True, None, tuple(warnings))

    # -- running --------------------------------------------------------------------

    async def run(self, job: RunJob, session: SessionContext) -> RunResult:
        return await self.run_steps(
            job.steps, job.language, dict(job.files), job.on_output, job.cancel, job.limits,
            job.stdin,
        )  # fmt: skip

    def _rlimits(self, language: Language | None, limits: RunLimits) -> dict[str, list[int]]:
        rl = {
            **step_rlimits(limits),
            "RLIMIT_NOFILE": [1024, 1024],
            # Counted per uid within the run's own user namespace, so per run.
            "RLIMIT_NPROC": [limits.processes] * 2,
        }
        if self._cgroups is None:
            # Without a memory cgroup, cap the address space: coarse (it counts
            # reservations, and a forked child gets its own), but it always holds.
            factor = language.address_space_factor if language else 1
            rl["RLIMIT_AS"] = [limits.memory_bytes * factor] * 2
        return rl

    async def run_steps(
        self,
        steps: list[tuple[str, list[str]]],
        language: Language | None,
        files: dict[str, bytes] | None,
        on_output: OutputCallback,
        cancel: asyncio.Event | None,
        limits: RunLimits,
        stdin: bytes | None = None,
    ) -> RunResult:
        spec = SupervisorSpec(
            steps=steps,
            rlimits=self._rlimits(language, limits),
            drop_to=(self.uid, self.gid) if self._as_root else None,
            own=[WORKDIR] if self._as_root else [],
            files=files or {},
        ).encode()
        key = _standby_key(language, limits) if language is not None else None
        box = self._standby.take(key) if key is not None else None
        try:
            if box is not None:
                try:
                    await box.send(spec)
                except BrokenPipeError:
                    # It died while waiting (killed from outside): build a fresh one.
                    await _close(box)
                    box = None
            if box is None:
                box = await self._launch(language, limits)
                # Not started (bwrap failed, or hangs): drive() reports bwrap's error, or
                # the wall clock ends it.
                if box.started:
                    with contextlib.suppress(BrokenPipeError):
                        await box.send(spec)
            return await box.drive(on_output, cancel, limits, stdin)
        finally:
            if box is not None:
                await _close(box)
            if key is not None:
                self._standby.replenish(key)

    def prepare(self, language: Language, limits: RunLimits | None = None) -> None:
        """Start building a sandbox for `language` to stand by, unless one does (a hint:
        it never displaces the sandboxes kept for the languages runs used)."""
        self._standby.replenish(_standby_key(language, limits or language.limits), hint=True)

    def expecting(
        self, language: Language, limits: RunLimits, count: int
    ) -> contextlib.AbstractContextManager[None]:
        """Keep `count` sandboxes for `language` standing by while the block runs."""
        return self._standby.expecting(_standby_key(language, limits), count)

    def standby_stats(self) -> dict[str, int]:
        return self._standby.stats()

    async def warm(self, language: Language, limits: RunLimits | None = None) -> None:
        """Have a sandbox for `language` standing by, and wait until it is."""
        self.prepare(language, limits)
        await self._standby.ready(_standby_key(language, limits or language.limits))

    async def close(self) -> None:
        """Stop the sandboxes standing by; runs in progress are not affected."""
        await self._standby.close()
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(t for t in list(_ending) if t.get_loop() is loop))

    async def _launch_key(self, key: tuple[str, RunLimits]) -> _Box:
        name, limits = key
        return await self._launch(LANGUAGES[name], limits)

    async def _launch(self, language: Language | None, limits: RunLimits) -> _Box:
        """Start a sandbox for `language` under `limits`, waiting for its spec."""
        starting = asyncio.ensure_future(self._start(language, limits))
        try:
            return await asyncio.shield(starting)
        except asyncio.CancelledError:
            # Cancelling asyncio's process creation midway waits for the process to exit,
            # which this one only does once we close its control pipe: let it finish
            # starting, then end it, without holding up the cancelled caller.
            _close_when_started(starting)
            raise

    def _wrapped(self, args: list[str], cgroup: RunCgroup | None) -> list[str]:
        """bwrap's command line behind what joins the run's cgroups (so every process of
        the run is born inside them) and, as root, makes its user namespace."""
        procs = [str(path) for path in cgroup.procs_files] if cgroup is not None else []
        if self.launcher is not None:
            prefix = [str(self.launcher)]
            for path in procs:
                prefix += ["--cgroup", path]
            if self._as_root:
                prefix += ["--userns", str(self.uid), str(self.gid)]
            return [*prefix, "--", *args]
        if procs:
            return ["/bin/sh", "-c", _CGROUP_TRAMPOLINE, "sh", *procs, "--", *args]
        return args

    async def _start(self, language: Language | None, limits: RunLimits) -> _Box:
        fds: list[int] = []
        cgroup: RunCgroup | None = None
        notes: list[str] = []
        try:
            control_r, control_w = os.pipe()
            fds += [control_r, control_w]
            status_r, status_w = os.pipe()
            fds += [status_r, status_w]
            info_r, info_w = os.pipe()
            fds += [info_r, info_w]
            args = [self.bwrap]
            pass_fds = [control_r, status_w, info_w]
            if self._as_root:
                if self.launcher is not None:
                    userns_fd = "@USERNS_FD@"  # the launcher makes it
                else:
                    userns = await create_user_namespace(self.uid, self.gid)
                    fds.append(userns)
                    pass_fds.append(userns)
                    userns_fd = str(userns)
                args += ["--userns", userns_fd, "--uid", "0", "--gid", "0"]
                args += ["--cap-drop", "ALL"]
                # Just enough for the supervisor to hand the workspace to the sandbox
                # user and switch to it; setuid() clears them before any program runs.
                for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN"):
                    args += ["--cap-add", cap]
            else:
                args += ["--unshare-user", "--uid", str(self.uid), "--gid", str(self.gid)]
                args += ["--disable-userns", "--cap-drop", "ALL"]
            args += [
                "--unshare-pid",
                "--unshare-net",
                "--unshare-ipc",
                "--unshare-uts",
                "--unshare-cgroup-try",
                "--hostname",
                "sandbox",
                "--die-with-parent",
                "--new-session",
                "--as-pid-1",
                "--info-fd",
                str(info_w),
            ]
            args += self._layout_args(language, limits)
            etc_files = {
                "/etc/passwd": _PASSWD.format(
                    user="sandbox", uid=self.uid, gid=self.gid, home=WORKDIR
                ),
                "/etc/group": _GROUP.format(user="sandbox", gid=self.gid),
                "/etc/hosts": _HOSTS,
                "/etc/hostname": "sandbox\n",
            }
            for dest, text in etc_files.items():
                fd = _memfd(dest, text.encode())
                fds.append(fd)
                pass_fds.append(fd)
                args += ["--perms", "0644", "--ro-bind-data", str(fd), dest]
            # The root and /dev tmpfs have no size limit, and when bwrap runs unprivileged
            # the sandbox user owns them: make them read-only once everything is in place.
            args += ["--remount-ro", "/dev", "--remount-ro", "/"]
            if self._filter is not None:
                fd = _memfd("seccomp", self._filter)
                fds.append(fd)
                pass_fds.append(fd)
                args += ["--seccomp", str(fd)]
            else:
                notes.append("no seccomp filter on this architecture")
            env = {
                "PATH": SANDBOX_PATH,
                "HOME": WORKDIR,
                "LANG": "C.UTF-8",
                "TMPDIR": "/tmp",
                "USER": "sandbox",
                **(dict(language.env) if language else {}),
            }
            args += ["--clearenv"]
            for key, value in env.items():
                args += ["--setenv", key, value]
            args += ["--chdir", WORKDIR, "--"]
            if self.native_supervisor is not None:
                args += [_NATIVE_SUPERVISOR_IN_SANDBOX]
            else:
                args += [self.supervisor_python, "-I", "-S", _SUPERVISOR_IN_SANDBOX]
            args += [str(control_r), str(status_w)]

            if self._cgroups is not None:
                cgroup = await asyncio.to_thread(
                    self._cgroups.create,
                    f"run-{uuid.uuid4().hex}",
                    limits.memory_bytes,
                    limits.processes,
                )
            else:
                notes.append("no per-run cgroup: memory limited by RLIMIT_AS")
            args = self._wrapped(args, cgroup)

            # Not asyncio's subprocess: under uvloop it forks the server (runner/spawn.py).
            proc = await spawn(
                args, env={"PATH": "/usr/bin:/bin"}, pass_fds=pass_fds, start_new_session=True
            )
        except BaseException:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if cgroup is not None:
                await asyncio.shield(asyncio.to_thread(_cleanup_cgroup, cgroup))
            raise
        # Only the sandbox may hold these ends: EOF on status/info means it is gone, and
        # the supervisor must see EOF on control once we have sent the spec.
        for fd in fds:
            if fd not in (control_w, status_r, info_r):
                os.close(fd)
        box = _Box(proc, control_w, status_r, info_r, cgroup, notes)
        await box.wait_ready()
        return box


class _Box:
    """One started sandbox: its spec not sent yet, or running, or done."""

    def __init__(
        self,
        proc: SpawnedProcess,
        control_w: int,
        status_r: int,
        info_r: int,
        cgroup: RunCgroup | None,
        notes: list[str],
    ) -> None:
        self.proc = proc
        self.control_w: int | None = control_w
        self.status_r = status_r
        self.info_r = info_r
        self.cgroup = cgroup
        self.notes = notes
        self._child_pid: list[int | None] = []
        self._loop = asyncio.get_running_loop()
        # The supervisor said it waits for its spec (False: bwrap failed, or not yet).
        self.started = False

    async def wait_ready(self) -> None:
        """Until the supervisor waits for its spec (bwrap has built the sandbox), or the
        sandbox failed to start (its run then reports bwrap's error)."""
        loop = asyncio.get_running_loop()
        readable = loop.create_future()
        loop.add_reader(self.status_r, lambda: readable.done() or readable.set_result(None))
        try:
            await asyncio.wait_for(readable, timeout=_READY_TIMEOUT_S)
        except TimeoutError:
            log.warning("a sandbox took over %s s to start", _READY_TIMEOUT_S)
            return
        finally:
            loop.remove_reader(self.status_r)
        with contextlib.suppress(BlockingIOError):
            self.started = os.read(self.status_r, len(READY)) == READY

    @property
    def waiting(self) -> bool:
        """Started, nothing sent yet, and usable from the running event loop."""
        return (
            self.started
            and self.proc.returncode is None
            and self.control_w is not None
            and self._loop is asyncio.get_running_loop()
        )

    async def send(self, spec: bytes) -> None:
        """Give the supervisor its run; it starts the moment the pipe closes."""
        fd, self.control_w = self.control_w, None
        assert fd is not None, "a sandbox serves one run"
        written = 0
        try:
            # Whatever the (empty) pipe takes at once, without blocking the loop: usually
            # the whole spec.
            os.set_blocking(fd, False)
            with contextlib.suppress(BlockingIOError):
                written = os.write(fd, spec)
        except BaseException:
            os.close(fd)
            raise
        if written == len(spec):
            os.close(fd)
            return
        os.set_blocking(fd, True)
        # The rest from a thread that owns the fd: even if this run is cancelled, nothing
        # closes it under the thread, where a reused fd number would get the code.
        await asyncio.shield(asyncio.to_thread(write_all_and_close, fd, spec[written:]))

    async def kill(self) -> None:
        if self.proc.returncode is None:
            # bwrap's child (our PID 1) cannot be reused as a pid before bwrap reaps
            # it, and killing it tears down the whole PID namespace.
            if not self._child_pid:
                self._child_pid.append(_child_pid(self.info_r))
            child = self._child_pid[0]
            if child is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, 9)
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        if self.cgroup is not None:
            await asyncio.to_thread(self.cgroup.kill_all)

    async def drive(
        self,
        on_output: OutputCallback,
        cancel: asyncio.Event | None,
        limits: RunLimits,
        stdin: bytes | None,
    ) -> RunResult:
        cgroup = self.cgroup
        outcome = await drive(
            self.proc,
            stdin=stdin,
            on_output=on_output,
            wall_time_s=limits.wall_time_s,
            output_bytes=limits.output_bytes,
            cancel=cancel,
            kill=self.kill,
        )
        report = read_report(self.status_r)
        memory_exceeded = False
        if cgroup is not None:
            memory_exceeded = await asyncio.to_thread(cgroup.oom_killed)
        elif report.get("maxrss_kib"):
            memory_exceeded = report["maxrss_kib"] * 1024 >= limits.memory_bytes * 0.9
        return run_result(report, outcome, memory_exceeded=memory_exceeded, notes=list(self.notes))


# Sandboxes being ended, kept referenced until they are; close() waits for them.
_ending: set[asyncio.Task[None]] = set()


async def _close(box: _Box) -> None:
    """End a sandbox whatever its state. It finishes even if the caller is cancelled."""
    await asyncio.shield(_end_soon(_end(box)))


def _close_when_started(starting: asyncio.Future[_Box]) -> None:
    async def close() -> None:
        with contextlib.suppress(Exception):
            await _end(await starting)

    _end_soon(close())


def _end_soon(ending: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    task = asyncio.ensure_future(ending)
    _ending.add(task)
    task.add_done_callback(_ending.discard)
    return task


async def _end(box: _Box) -> None:
    """Unsent, the sandbox exits on its own (EOF for a spec); else it is killed."""
    try:
        if box.control_w is not None:
            os.close(box.control_w)
            box.control_w = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(box.proc.wait()), timeout=2)
        if box.proc.returncode is None:
            await box.kill()
            await box.proc.wait()
    finally:
        for fd in (box.status_r, box.info_r):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        box.status_r = box.info_r = -1
        box.proc.close_pipes()
        if box.cgroup is not None:
            cgroup, box.cgroup = box.cgroup, None
            await asyncio.to_thread(_cleanup_cgroup, cgroup)


def _cleanup_cgroup(cgroup: RunCgroup) -> None:
    cgroup.kill_all()
    cgroup.remove()


def _child_pid(info_fd: int) -> int | None:
    try:
        data = read_available(info_fd)
    except OSError:
        return None
    for line in data.decode(errors="replace").split("}"):
        with contextlib.suppress(ValueError):
            pid = json.loads(line + "}").get("child-pid")
            if isinstance(pid, int):
                return pid
    return None
