"""The table of session languages and how to build and run each one.

Commands are argument lists run inside the sandbox with the workspace as the current
directory. `{heap_mib}` in a command is replaced with a heap size derived from the run's
memory limit, for runtimes (JVM, V8) that size their heap from the machine's RAM and would
otherwise be killed by the memory limit instead of failing with their own, clearer error.
"""

from __future__ import annotations

import asyncio
import os
import re
import site
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from runner.limits import MiB, RunLimits
from schema.models.runs import LanguageInfo

# PATH inside the sandbox; version detection uses the same one so "available" means the
# same binary the sandbox will run (e.g. Debian's /usr/bin/rustc, not a rustup shim).
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Language:
    name: str
    source_file: str
    run: tuple[str, ...]
    version: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    # Image for the Kubernetes backend.
    image: str | None = None
    limits: RunLimits = field(default_factory=RunLimits)
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Host directories outside the system dirs the toolchain needs, bound read-only.
    extra_paths: tuple[str, ...] = ()
    # Directories the sandbox covers with an empty, read-only tmpfs.
    hidden_paths: tuple[str, ...] = ()
    # False for languages that are edited in a session but never executed (html).
    runnable: bool = True
    # Where only RLIMIT_AS bounds memory: runtimes that reserve far more address space
    # than they use (JVM, V8, Go) need this multiple of the limit; their heaps are
    # capped through {heap_mib} instead.
    address_space_factor: int = 1
    # Files the toolchain needs next to the source (name -> content).
    support_files: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def steps(self, limits: RunLimits) -> list[tuple[str, list[str]]]:
        """The (stage, argv) pairs to execute, in order."""
        heap_mib = str(max(16, limits.memory_bytes * 3 // 4 // MiB))

        def expand(argv: tuple[str, ...]) -> list[str]:
            return [arg.replace("{heap_mib}", heap_mib) for arg in argv]

        steps: list[tuple[str, list[str]]] = []
        if self.compile is not None:
            steps.append(("compile", expand(self.compile)))
        steps.append(("run", expand(self.run)))
        return steps


def _python_interpreter() -> tuple[str, tuple[str, ...]]:
    """The base interpreter behind the server's venv, and its prefix if it must be bound.

    The sandbox must not see the venv (the server's own packages) but does need the
    interpreter's install prefix, which may live outside /usr (pyenv under /root here).
    """
    prefix = os.path.realpath(sys.base_prefix)
    exe = os.path.join(prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}")
    if not os.path.exists(exe):
        exe = os.path.join(prefix, "bin", "python3")
    extra = () if prefix == "/usr" or prefix.startswith("/usr/") else (prefix,)
    return exe, extra


def _python_site_packages() -> tuple[str, ...]:
    """The base interpreter's site-packages: what happens to be installed on the host (here
    certifi, whose .pth import cost every run 18 ms) is no part of a candidate's Python.
    Programs get the standard library, as the language's image does."""
    return tuple(path for path in site.getsitepackages([sys.base_prefix]) if os.path.isdir(path))


PYTHON_EXE, _PYTHON_PATHS = _python_interpreter()

_COMPILED = RunLimits(wall_time_s=15.0)
_NODE_GLOBALS = """declare var require: any;
declare var process: any;
declare var module: any;
declare var Buffer: any;
"""
_JVM = RunLimits(wall_time_s=15.0, memory_bytes=512 * MiB)

LANGUAGES: Mapping[str, Language] = MappingProxyType(
    {
        lang.name: lang
        for lang in (
            Language(
                name="python",
                source_file="main.py",
                run=(PYTHON_EXE, "main.py"),
                version=(PYTHON_EXE, "--version"),
                image="python:3.11-slim",
                # Unbuffered so output streams as it is printed into a pipe.
                env=MappingProxyType({"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}),
                extra_paths=_PYTHON_PATHS,
                hidden_paths=_python_site_packages(),
            ),
            Language(
                name="javascript",
                address_space_factor=8,
                source_file="main.js",
                run=("node", "--max-old-space-size={heap_mib}", "main.js"),
                version=("node", "--version"),
                image="node:20-slim",
            ),
            Language(
                name="typescript",
                address_space_factor=8,
                source_file="main.ts",
                # --skipLibCheck halves compile time; the typings of node itself are not
                # packaged in Debian, so a few globals are declared loosely instead.
                compile=(
                    "tsc",
                    "--target",
                    "es2020",
                    "--module",
                    "commonjs",
                    "--skipLibCheck",
                    "main.ts",
                    "node-globals.d.ts",
                ),
                support_files=MappingProxyType({"node-globals.d.ts": _NODE_GLOBALS}),
                run=("node", "--max-old-space-size={heap_mib}", "main.js"),
                version=("tsc", "--version"),
                image="node:20-slim",
                limits=_COMPILED,
            ),
            Language(
                name="bash",
                source_file="main.sh",
                run=("bash", "main.sh"),
                version=("bash", "--version"),
                image="bash:5.2",
            ),
            Language(
                name="c",
                source_file="main.c",
                compile=("gcc", "-O2", "-std=gnu17", "-o", "main", "main.c", "-lm"),
                # Line-buffered stdout so printf output streams instead of arriving at exit.
                run=("stdbuf", "-oL", "./main"),
                version=("gcc", "--version"),
                image="gcc:12",
            ),
            Language(
                name="cpp",
                source_file="main.cpp",
                compile=("g++", "-O2", "-std=gnu++17", "-o", "main", "main.cpp"),
                run=("stdbuf", "-oL", "./main"),
                version=("g++", "--version"),
                image="gcc:12",
                limits=_COMPILED,
            ),
            Language(
                name="java",
                address_space_factor=8,
                source_file="Main.java",
                compile=(
                    "javac",
                    "-J-Xmx{heap_mib}m",
                    "-J-XX:+UseSerialGC",
                    "-J-XX:TieredStopAtLevel=1",
                    "-J-XX:-UsePerfData",
                    "Main.java",
                ),
                run=(
                    "java",
                    "-Xmx{heap_mib}m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-XX:-UsePerfData",
                    "-cp",
                    ".",
                    "Main",
                ),
                version=("java", "-version"),
                image="eclipse-temurin:17-jdk",
                limits=_JVM,
            ),
            Language(
                name="ruby",
                source_file="main.rb",
                run=("ruby", "main.rb"),
                version=("ruby", "--version"),
                image="ruby:3.1-slim",
            ),
            Language(
                name="go",
                address_space_factor=8,
                source_file="main.go",
                compile=("go", "build", "-o", "main", "main.go"),
                run=("./main",),
                version=("go", "version"),
                image="golang:1.19",
                limits=_COMPILED,
                env=MappingProxyType(
                    {
                        # The build cache must be writable and must not outlive the run.
                        "GOCACHE": "/tmp/go-build",
                        "GOPATH": "/tmp/go",
                        "GO111MODULE": "off",
                        "CGO_ENABLED": "0",
                    }
                ),
            ),
            Language(
                name="rust",
                source_file="main.rs",
                # Without stripping, std's debug info makes hello world 11 MB.
                compile=(
                    "rustc",
                    "-C",
                    "opt-level=1",
                    "-C",
                    "strip=debuginfo",
                    "-o",
                    "main",
                    "main.rs",
                ),
                run=("./main",),
                version=("rustc", "--version"),
                image="rust:1.63-slim",
                limits=_COMPILED,
            ),
            Language(
                name="html",
                source_file="index.html",
                run=(),
                version=(),
                runnable=False,
            ),
        )
    }
)


def get_language(name: str) -> Language:
    """Look a language up by its session name; KeyError if it is not in the table."""
    return LANGUAGES[name]


def language_names() -> list[str]:
    return list(LANGUAGES)


_VERSION_RE = re.compile(r"\d+\.\d+(?:\.\d+)?")
_cache: list[LanguageInfo] | None = None


async def _detect_one(lang: Language) -> LanguageInfo:
    if not lang.runnable:
        return LanguageInfo(name=lang.name, version=None, available=True, runnable=False)
    env = {"PATH": SANDBOX_PATH, "LANG": "C.UTF-8", "HOME": "/nonexistent"}
    try:
        proc = await asyncio.create_subprocess_exec(
            *lang.version,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            # Some tools (java -version) print their version on stderr.
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
    except OSError:
        return LanguageInfo(name=lang.name, version=None, available=False, runnable=True)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=20)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return LanguageInfo(name=lang.name, version=None, available=False, runnable=True)
    text = out.decode("utf-8", "replace")
    first = next((line for line in text.splitlines() if line.strip()), "")
    match = _VERSION_RE.search(first) or _VERSION_RE.search(text)
    return LanguageInfo(
        name=lang.name,
        version=match.group(0) if match else None,
        available=proc.returncode == 0,
        runnable=True,
    )


async def detect_languages(refresh: bool = False) -> list[LanguageInfo]:
    """Version and availability of every language on this machine, in table order.

    The result is cached for the life of the process: toolchains do not change under a
    running server, and probing starts a dozen processes (the JVM alone takes a while).
    """
    # No lock: two concurrent first callers both probe, which is harmless, and a lock
    # created at import time would be tied to whichever event loop first waited on it.
    global _cache
    if _cache is None or refresh:
        _cache = list(await asyncio.gather(*(_detect_one(lang) for lang in LANGUAGES.values())))
    return list(_cache)
