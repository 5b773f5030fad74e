"""A small seccomp-BPF filter for sandboxed programs, built without libseccomp.

bubblewrap takes a compiled classic-BPF program on a file descriptor (`--seccomp FD`).
The filter closes the cross-session channels and kernel attack surface that namespaces
alone leave open:

* keyrings (`keyctl`, `add_key`, `request_key`) are per user, not per mount/pid
  namespace, so two sandboxes could talk through them (Docker blocks them too);
* `flock`/`fcntl` record locks work on shared read-only files (e.g. `/usr/bin/env`),
  a covert channel between concurrent sessions. Lock calls are turned into no-ops that
  report success, so single-process programs (sqlite in the workspace) keep working;
* nested namespaces (`unshare`, `setns`, namespace flags to `clone`, `clone3`) would hand
  the program a fresh user namespace with full capabilities over new kernel surface;
* mount APIs, BPF, perf, userfaultfd, io_uring, module loading and similar privileged or
  exploit-prone calls, none of which a coding-interview program needs.

Only x86_64 syscall numbers are listed; `build_filter()` returns None elsewhere so the
caller can report that the filter is missing rather than load a wrong one.
"""

from __future__ import annotations

import errno
import platform
import struct

# Classic BPF opcodes (linux/filter.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_SECCOMP_RET_KILL_PROCESS = 0x80000000

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000

# struct seccomp_data: int nr; __u32 arch; __u64 ip; __u64 args[6].
_OFF_NR = 0
_OFF_ARCH = 4


def _arg_low(index: int) -> int:
    # Little-endian: the low 32 bits of args[i] come first.
    return 16 + 8 * index


_CLONE_NAMESPACE_FLAGS = (
    0x00020000  # CLONE_NEWNS
    | 0x02000000  # CLONE_NEWCGROUP
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
)

_F_SETLK, _F_SETLKW, _F_OFD_SETLK, _F_OFD_SETLKW = 6, 7, 37, 38

_X86_64 = {
    "fcntl": 72,
    "flock": 73,
    "clone": 56,
    "clone3": 435,
    "unshare": 272,
    "setns": 308,
    "keyctl": 250,
    "add_key": 248,
    "request_key": 249,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "chroot": 161,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "acct": 163,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "syslog": 103,
    "open_by_handle_at": 304,
    "name_to_handle_at": 303,
    "fanotify_init": 300,
    "kcmp": 312,
    "quotactl": 179,
    "lookup_dcookie": 212,
    "iopl": 172,
    "ioperm": 173,
    "vhangup": 153,
}

# ENOSYS rather than EPERM where callers have a fallback: glibc retries clone3 as clone,
# and keyring users treat a missing keyring as "no keys".
_ENOSYS_CALLS = ("clone3", "keyctl", "add_key", "request_key")
_EPERM_CALLS = tuple(
    name for name in _X86_64 if name not in (*_ENOSYS_CALLS, "fcntl", "flock", "clone")
)


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def _ret(value: int) -> bytes:
    return _insn(_RET_K, 0, 0, value)


def build_filter() -> bytes | None:
    """Return the filter as raw `struct sock_filter` bytes, or None if the arch is unknown."""
    if platform.machine() != "x86_64":
        return None
    nr = _X86_64
    prog: list[bytes] = []

    # A foreign ABI (i386 via int 0x80, or x32) would bypass every number check below.
    prog.append(_insn(_LD_W_ABS, 0, 0, _OFF_ARCH))
    prog.append(_insn(_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64))
    prog.append(_ret(_SECCOMP_RET_KILL_PROCESS))
    prog.append(_insn(_LD_W_ABS, 0, 0, _OFF_NR))
    prog.append(_insn(_JGE_K, 0, 1, _X32_SYSCALL_BIT))
    prog.append(_ret(_SECCOMP_RET_ERRNO | errno.ENOSYS))

    # Each simple rule is "if nr == N: return R"; the accumulator keeps holding nr.
    for name in _ENOSYS_CALLS:
        prog.append(_insn(_JEQ_K, 0, 1, nr[name]))
        prog.append(_ret(_SECCOMP_RET_ERRNO | errno.ENOSYS))
    for name in _EPERM_CALLS:
        prog.append(_insn(_JEQ_K, 0, 1, nr[name]))
        prog.append(_ret(_SECCOMP_RET_ERRNO | errno.EPERM))
    # flock(): pretend success (errno 0) without taking the lock.
    prog.append(_insn(_JEQ_K, 0, 1, nr["flock"]))
    prog.append(_ret(_SECCOMP_RET_ERRNO | 0))

    # The argument checks clobber the accumulator, so they come last and each path ends
    # in a return.
    # clone(flags, ...): refuse namespace flags, allow ordinary fork/thread creation.
    prog.append(_insn(_JEQ_K, 0, 4, nr["clone"]))
    prog.append(_insn(_LD_W_ABS, 0, 0, _arg_low(0)))
    prog.append(_insn(_JSET_K, 0, 1, _CLONE_NAMESPACE_FLAGS))
    prog.append(_ret(_SECCOMP_RET_ERRNO | errno.EPERM))
    prog.append(_ret(_SECCOMP_RET_ALLOW))
    # fcntl(fd, cmd, ...): make the record-lock commands no-ops that succeed.
    lock_cmds = (_F_SETLK, _F_SETLKW, _F_OFD_SETLK, _F_OFD_SETLKW)
    prog.append(_insn(_JEQ_K, 0, 3 + len(lock_cmds), nr["fcntl"]))
    prog.append(_insn(_LD_W_ABS, 0, 0, _arg_low(1)))
    for i, cmd in enumerate(lock_cmds):
        # On a match jump to the fake-success return after the remaining compares and
        # the allow.
        remaining = len(lock_cmds) - 1 - i
        prog.append(_insn(_JEQ_K, remaining + 1, 0, cmd))
    prog.append(_ret(_SECCOMP_RET_ALLOW))
    prog.append(_ret(_SECCOMP_RET_ERRNO | 0))

    prog.append(_ret(_SECCOMP_RET_ALLOW))
    return b"".join(prog)
