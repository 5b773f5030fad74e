"""Kubernetes runner overhead against the API stand-in. Run: python -m bench.kube

Prints figures only. Measures, for a Python hello world in a session whose pod is ready:
  * a run through KubernetesSandbox (copy-in exec + run exec over kubernetes-asyncio's
    WebSocket client and the stand-in's exec), p50/p99,
  * the same program through the local sandboxes (unsafe-subprocess: the same work minus
    the API round trips, as the stand-in runs commands as plain processes; and
    bubblewrap), and the differences of the medians: the exec overhead,
  * claiming a ready warm pod (list + relabelling patch), p50/p99.
The stand-in is on loopback: a real API server adds the network and the kubelet's
streaming path to these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import redis.asyncio as redis

from bench.stats import percentile
from runner.bubblewrap import BubblewrapSandbox
from runner.job import RunJob
from runner.kubernetes.backend import KubernetesSandbox
from runner.kubernetes.channels import exec_in_pod
from runner.kubernetes.settings import KubeSettings
from runner.languages import get_language
from runner.sandbox import NO_SESSION, SessionContext
from runner.unsafe_subprocess import UnsafeSubprocessSandbox
from server.embedded import start_embedded
from tests.kube.apiserver import running_stand_in

HELLO = "print('hello, world')"


def line(label: str, samples: list[float]) -> str:
    return (
        f"{label:<40} p50 {percentile(samples, 0.5) * 1000:7.1f} ms   "
        f"p99 {percentile(samples, 0.99) * 1000:7.1f} ms   (n={len(samples)})"
    )


async def _ignore(_stream: str, _data: bytes) -> None:
    return None


async def _ignore_channel(_channel: int, _data: bytes) -> None:
    return None


async def timed(n: int, make: object) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        result = await make()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
        assert result is not None
    return samples


async def main(runs: int, claims: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="duet-bench-kube-"))
    services = start_embedded(workdir / "services", postgres=False, redis=True)
    cache = redis.from_url(services.redis_url)
    python = get_language("python")
    try:
        async with running_stand_in(workdir) as kube:
            settings = KubeSettings(kubeconfig=str(kube.kubeconfig), warm_pool={"python": 4})
            sandbox = await KubernetesSandbox.open(settings, cache)
            session = SessionContext("bench001", int((time.time() + 3600) * 1000), lambda *_: None)
            first = await sandbox.run(RunJob.of(python, HELLO, on_output=_ignore), session)
            assert first.exit_code == 0, first

            async def kube_run() -> object:
                return await sandbox.run(RunJob.of(python, HELLO, on_output=_ignore), session)

            unsafe, bwrap = UnsafeSubprocessSandbox(), BubblewrapSandbox()

            async def unsafe_run() -> object:
                return await unsafe.run(RunJob.of(python, HELLO, on_output=_ignore), NO_SESSION)

            async def bwrap_run() -> object:
                return await bwrap.run(RunJob.of(python, HELLO, on_output=_ignore), NO_SESSION)

            kube_samples = await timed(runs, kube_run)
            unsafe_samples = await timed(runs, unsafe_run)
            print(line("kubernetes (stand-in) run", kube_samples))
            print(line("unsafe-subprocess run", unsafe_samples))
            bwrap_samples: list[float] = []
            if (await bwrap.check()).usable:
                bwrap_samples = await timed(runs, bwrap_run)
                print(line("bubblewrap run", bwrap_samples))
            await bwrap.close()
            median = percentile(kube_samples, 0.5)
            print(
                f"{'exec overhead over unsafe-subprocess':<40} p50 "
                f"{(median - percentile(unsafe_samples, 0.5)) * 1000:+7.1f} ms"
            )
            if bwrap_samples:
                print(
                    f"{'exec overhead over bubblewrap':<40} p50 "
                    f"{(median - percentile(bwrap_samples, 0.5)) * 1000:+7.1f} ms"
                )

            # The API path alone: one exec of `true` against spawning `true` here.
            pod = sandbox.pods.known[session.session_id][0]

            async def exec_true() -> object:
                return await exec_in_pod(
                    sandbox.api,
                    settings.namespace,
                    pod,
                    ["true"],
                    stdin=None,
                    on_output=_ignore_channel,
                )

            async def spawn_true() -> object:
                proc = await asyncio.create_subprocess_exec("true")
                return await proc.wait()

            exec_samples = await timed(runs, exec_true)
            spawn_samples = await timed(runs, spawn_true)
            print(line("exec round trip of `true`", exec_samples))
            print(line("local spawn of `true`", spawn_samples))
            p50, p99 = (
                (percentile(exec_samples, q) - percentile(spawn_samples, q)) * 1000
                for q in (0.5, 0.99)
            )
            label = "per-exec API overhead (2 execs a run)"
            print(f"{label:<40} p50 {p50:+7.1f} ms   p99 {p99:+7.1f} ms")

            claim_samples = []
            for index in range(claims):
                if index % 4 == 0:
                    await sandbox.warm_pool.refill("python")
                    await _wait_ready(kube, 4)
                claimant = SessionContext(
                    f"c{index:07x}", int((time.time() + 3600) * 1000), lambda *_: None
                )
                start = time.perf_counter()
                claimed = await sandbox.warm_pool.claim(claimant, python)
                claim_samples.append(time.perf_counter() - start)
                assert claimed is not None
                await sandbox.pods.delete(claimed["metadata"]["name"])
            print(line("warm-pool claim", claim_samples))
            await sandbox.close()
    finally:
        await cache.aclose()
        services.stop()


async def _wait_ready(kube: object, count: int) -> None:
    cluster = kube.cluster  # type: ignore[attr-defined]
    for _ in range(500):
        pods = cluster.list("duet-runs", "duet.dev/role=warm")
        if len(pods) >= count and all(p["status"].get("phase") == "Running" for p in pods):
            return
        await asyncio.sleep(0.01)
    raise RuntimeError("warm pods did not become ready")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--claims", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.claims))
