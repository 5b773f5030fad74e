"""Sandbox overhead, throughput and output latency. Run: python -m bench.sandbox

Prints figures only. Measures, for a Python hello world:
  * wall time of the bare interpreter vs. the same program through BubblewrapSandbox
    (p50/p99 of each and the difference of the medians), interleaved run by run, both
    with `python -S` so that both start the same interpreter doing the same work (the
    sandbox hides the host's site-packages, so a plain `python` does less work inside).
    Twice: with a sandbox started ahead (the server's default, runner/standby.py; the
    bench waits until it is ready before timing the pair, as the seconds between an
    interviewer's runs do) and with every sandbox built when its run comes (standby=0);
  * a Python hello world as sessions run it (the language table's command) in the sandbox,
  * sustained runs/s with 2 concurrent workers,
  * latency from the program's first write to the on_output callback (both sides read
    CLOCK_MONOTONIC, which the sandbox shares with the host: there is no time namespace).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time

from runner.bubblewrap import BubblewrapSandbox
from runner.job import RunJob
from runner.languages import PYTHON_EXE, get_language
from runner.limits import RunLimits
from runner.sandbox import NO_SESSION

HELLO = "print('hello, world')"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _fmt(label: str, values: list[float]) -> str:
    return (
        f"{label:<36} p50 {_pct(values, 0.5):7.1f} ms   p99 {_pct(values, 0.99):7.1f} ms"
        f"   (n={len(values)})"
    )


def _write(path: str, text: str) -> str:
    with open(path, "w") as fh:
        fh.write(text)
    return path


async def _ignore(_: str, __: bytes) -> None:
    pass


async def bare_run(path: str) -> float:
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        PYTHON_EXE, "-S", path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    await proc.communicate()
    return (time.perf_counter() - start) * 1000


async def boxed_run(sandbox: BubblewrapSandbox) -> float:
    start = time.perf_counter()
    result = await sandbox.run_steps(
        [("run", [PYTHON_EXE, "-S", "main.py"])], get_language("python"),
        {"main.py": HELLO.encode()}, _ignore, None, RunLimits(),
    )  # fmt: skip
    assert result.exit_code == 0, result
    return (time.perf_counter() - start) * 1000


async def overhead_runs(sandbox: BubblewrapSandbox, n: int) -> tuple[list[float], list[float]]:
    """The same program both ways, alternating, so both see the same machine. Before each
    pair, any sandbox being started ahead is finished, so it runs alongside neither."""
    bare, boxed = [], []
    python = get_language("python")
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(os.path.join(tmp, "main.py"), HELLO)
        for _ in range(n):
            await sandbox.warm(python, RunLimits())
            bare.append(await bare_run(path))
            boxed.append(await boxed_run(sandbox))
    return bare, boxed


def _overhead(label: str, bare: list[float], boxed: list[float]) -> None:
    print(_fmt("bare python -S", bare))
    print(_fmt(f"sandboxed python -S, {label}", boxed))
    print(
        f"{'sandbox overhead, ' + label:<36} p50 {_pct(boxed, 0.5) - _pct(bare, 0.5):7.1f} ms"
        f"   p99 {_pct(boxed, 0.99) - _pct(bare, 0.99):7.1f} ms"
        f"   (mean {statistics.mean(boxed) - statistics.mean(bare):.1f} ms)"
    )


async def sandbox_runs(sandbox: BubblewrapSandbox, n: int) -> list[float]:
    lang = get_language("python")
    times = []
    for _ in range(n):
        start = time.perf_counter()
        result = await sandbox.run(RunJob.of(lang, HELLO, on_output=_ignore), NO_SESSION)
        assert result.exit_code == 0, result
        times.append((time.perf_counter() - start) * 1000)
    return times


async def throughput(sandbox: BubblewrapSandbox, seconds: float, workers: int) -> float:
    lang = get_language("python")
    deadline = time.perf_counter() + seconds
    count = 0

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            result = await sandbox.run(RunJob.of(lang, HELLO, on_output=_ignore), NO_SESSION)
            assert result.exit_code == 0, result
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return count / (time.perf_counter() - start)


async def output_latency(sandbox: BubblewrapSandbox, n: int) -> list[float]:
    lang = get_language("python")
    code = "import time, sys\nsys.stdout.write(str(time.monotonic_ns()) + '\\n')\n"
    latencies = []
    for _ in range(n):
        received: list[tuple[int, bytes]] = []

        async def on_output(_: str, data: bytes, received: list = received) -> None:
            received.append((time.monotonic_ns(), data))

        await sandbox.run(RunJob.of(lang, code, on_output=on_output), NO_SESSION)
        at, data = received[0]
        latencies.append((at - int(data.split()[0])) / 1e6)
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="runs per latency figure")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput duration")
    args = parser.parse_args()

    sandbox = BubblewrapSandbox()
    cold = BubblewrapSandbox(standby=0)
    status = await sandbox.check()
    if not status.usable:
        raise SystemExit(f"bubblewrap unusable: {status.reason}")
    for warning in status.warnings:
        print("warning:", warning)

    try:
        await sandbox_runs(sandbox, 3)  # warm caches
        _overhead("started ahead", *await overhead_runs(sandbox, args.n))
        _overhead("built per run", *await overhead_runs(cold, args.n))
        print(_fmt("python hello world, as run", await sandbox_runs(sandbox, args.n)))
        for label, box in (("started ahead", sandbox), ("built per run", cold)):
            rate = await throughput(box, args.seconds, workers=2)
            print(f"{'sustained, 2 workers, ' + label:<36} {rate:7.1f} runs/s")
        print(_fmt("first write -> on_output", await output_latency(sandbox, args.n)))
    finally:
        await sandbox.close()


if __name__ == "__main__":
    asyncio.run(main())
