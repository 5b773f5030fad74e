"""First process inside a sandbox: drops privileges, sets rlimits, runs the steps.

Runs as a standalone script (`python3 -I -S supervisor.py CONTROL_FD STATUS_FD`) with the
standard library only, under whatever interpreter the sandbox can see, so it imports
nothing from the project. It waits for the run's spec on CONTROL_FD (read to EOF, in the
format runner/supervisor_spec.py writes and supervisor.c reads), so a sandbox can be
started before its run is known.

It exists because neither bwrap nor a shell reports how a program ended precisely: both
fold "killed by SIGKILL" into exit status 137. Here we wait4() the program ourselves and
write {"stage", "exit_code", "signal", "maxrss_kib"} as JSON to a status pipe
(STATUS_FD) the server holds, after an "R" written as soon as it waits for its spec.

Under bubblewrap it is PID 1 of the sandbox's PID namespace, so when it exits the kernel
kills every process the program left behind (nohup, setsid, double fork), and signals
sent from inside the namespace cannot kill it.

The program can forge its own status through /proc/1/fd; that only misreports its own
run, and limits (time, memory, output) are judged by the server, not from this report.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys

# Exit code when the program could not even be started (missing binary etc.), like shells.
_EXEC_FAILED = 127


class _Spec:
    """Reads the NUL-terminated fields (and raw file contents) of a spec in order."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def field(self) -> str:
        end = self.data.index(b"\0", self.at)
        text = self.data[self.at : end].decode()
        self.at = end + 1
        return text

    def number(self) -> int:
        return int(self.field())

    def raw(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise ValueError("truncated spec")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


# The same bounds as supervisor.c.
_MAX_OWN, _MAX_LIMITS, _MAX_STEPS, _MAX_ARGS, _MAX_FILES = 64, 32, 8, 4096, 64


def _parse(spec: _Spec) -> dict:
    """The whole spec, checked before anything is done with it; ValueError if bad."""

    def count(limit: int) -> int:
        value = spec.number()
        if not 0 <= value <= limit:
            raise ValueError(f"count {value} out of range")
        return value

    uid, gid = spec.field(), spec.field()
    own = [spec.field() for _ in range(count(_MAX_OWN))]
    rlimits = {}
    for _ in range(count(_MAX_LIMITS)):
        name = spec.field()
        if not name.startswith("RLIMIT_") or not hasattr(resource, name):
            raise ValueError(f"unknown rlimit {name!r}")
        rlimits[name] = [spec.number(), spec.number()]
    steps = []
    for _ in range(count(_MAX_STEPS)):
        stage = spec.field()
        argc = count(_MAX_ARGS)
        if argc < 1:
            raise ValueError("a step needs a program")
        steps.append((stage, [spec.field() for _ in range(argc)]))
    files = {}
    for _ in range(count(_MAX_FILES)):
        name = spec.field()
        if not name or "/" in name or name in (".", ".."):
            raise ValueError(f"bad file name {name!r}")
        files[name] = spec.raw(spec.number())
    if spec.at != len(spec.data):
        raise ValueError("trailing data in spec")
    drop_to = None if uid == "-" else (int(uid), int(gid))
    return {"drop_to": drop_to, "own": own, "rlimits": rlimits, "steps": steps, "files": files}


def _write_files(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, 0o644)
        finally:
            os.close(fd)


def _drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    # Changing uid clears the parent-death signal bwrap's --die-with-parent set; re-arm
    # it so the sandbox still dies if bwrap (and so the server) goes away.
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def _set_rlimits(rlimits: dict[str, list[int]]) -> None:
    for name, (soft, hard) in rlimits.items():
        resource.setrlimit(getattr(resource, name), (soft, hard))


def _run_step(argv: list[str], compiling: bool) -> tuple[int, int, float]:
    """Fork/exec argv; return (pid, wait status, max RSS in KiB) once it has exited."""
    pid = os.fork()
    if pid == 0:
        try:
            # Python ignores these at start-up; programs expect the default actions
            # (die on a closed pipe, die past the file size limit).
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            if compiling:
                # Only the program reads stdin; a compiler must not swallow it.
                fd = os.open("/dev/null", os.O_RDONLY)
                os.dup2(fd, 0)
                os.close(fd)
                # A compiler's diagnostics are errors wherever it prints them (tsc uses
                # stdout): the room shows compile output as stderr.
                os.dup2(2, 1)
            os.execvp(argv[0], argv)
        except OSError as exc:
            os.write(2, f"{argv[0]}: {exc.strerror}\n".encode())
        os._exit(_EXEC_FAILED)
    while True:
        try:
            got, status, usage = os.wait4(-1, 0)
        except InterruptedError:
            continue
        # As PID 1 we also inherit and must reap the program's orphans.
        if got == pid:
            return pid, status, usage.ru_maxrss


def main() -> None:
    control_fd, status_fd = int(sys.argv[1]), int(sys.argv[2])
    os.set_inheritable(status_fd, False)
    # Tell the server the sandbox is built and waiting for its run.
    os.write(status_fd, b"R")
    data = _read_all(control_fd)
    if not data:
        # The server closed the sandbox without running anything in it.
        os._exit(0)
    # Whatever else bwrap left open (the user namespace's fd) is not the program's.
    os.closerange(3, status_fd)
    os.closerange(status_fd + 1, 65536)
    try:
        spec = _parse(_Spec(data))
    except (ValueError, IndexError) as exc:
        os.write(2, f"duet supervisor: bad spec: {exc}\n".encode())
        os._exit(2)
    try:
        if spec["drop_to"] is not None:
            uid, gid = spec["drop_to"]
            # bwrap created the workspace as (namespace) root; give it to the sandbox user
            # so the program can write there like in a normal home directory.
            for path in spec["own"]:
                try:
                    os.chown(path, uid, gid)
                except FileNotFoundError:
                    pass
            _drop_privileges(uid, gid)
        _write_files(spec["files"])
        _set_rlimits(spec["rlimits"])
    except OSError as exc:
        what = exc.filename or "setup"
        os.write(2, f"duet supervisor: {what}: {exc.strerror}\n".encode())
        os._exit(_EXEC_FAILED)

    report: dict[str, object] = {}
    for stage, argv in spec["steps"]:
        if stage == "compile":
            # Compilers and linkers write intermediates bigger than a program's file
            # limit; raising a soft limit up to the hard one needs no privilege.
            _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
        else:
            _set_rlimits(spec["rlimits"])
        _, status, maxrss = _run_step(argv, compiling=stage != "run")
        report = {"stage": stage, "maxrss_kib": maxrss, "exit_code": None, "signal": None}
        if os.WIFSIGNALED(status):
            signum = os.WTERMSIG(status)
            try:
                report["signal"] = signal.Signals(signum).name
            except ValueError:  # real-time signals have no name
                report["signal"] = f"SIG{signum}"
        else:
            report["exit_code"] = os.WEXITSTATUS(status)
        if report["exit_code"] != 0:
            break
    data = json.dumps(report).encode()
    try:
        os.write(status_fd, data)
    except OSError:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
