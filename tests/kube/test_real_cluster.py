"""The backend against a real cluster from KUBECONFIG: run only with
DUET_K8S_TEST_CLUSTER=1 (see the README's "Deploying to Kubernetes"). The namespace
(DUET_K8S_NAMESPACE, default duet-runs) must exist and the images be pullable."""

from __future__ import annotations

import os
import time

import pytest
import redis.asyncio as redis

from runner.job import RunJob
from runner.kubernetes.backend import KubernetesSandbox
from runner.kubernetes.settings import KubeSettings
from runner.languages import get_language
from runner.limits import RunLimits
from runner.sandbox import SessionContext

pytestmark = [
    pytest.mark.real_cluster,
    pytest.mark.skipif(
        os.environ.get("DUET_K8S_TEST_CLUSTER") != "1",
        reason="needs a real cluster: set DUET_K8S_TEST_CLUSTER=1 and KUBECONFIG",
    ),
]


@pytest.fixture
async def sandbox(backing):
    cache = redis.from_url(backing.redis_url)
    settings = KubeSettings(
        namespace=os.environ.get("DUET_K8S_NAMESPACE", "duet-runs"), start_timeout_s=300
    )
    made = await KubernetesSandbox.open(settings, cache)
    assert (await made.check()).usable
    yield made
    await made.close()
    await cache.aclose()


async def test_a_run_in_a_real_pod(sandbox):
    events: list[str] = []
    session = SessionContext(
        f"{int(time.time()) % 0xFFFFFFFF:08x}",
        int((time.time() + 600) * 1000),
        lambda name, data: events.append(name),
    )
    chunks: list[tuple[str, bytes]] = []

    async def collect(stream: str, data: bytes) -> None:
        chunks.append((stream, data))

    code = "import sys\nprint(sys.stdin.read().upper())\nsys.exit(2)\n"
    try:
        job = RunJob.of(get_language("python"), code, stdin="abc", on_output=collect)
        result = await sandbox.run(job, session)
        assert result.exit_code == 2 and not result.timed_out
        assert b"".join(d for s, d in chunks if s == "stdout") == b"ABC\n"
        assert "pod_ready" in events
        runtime = await sandbox.describe_session(session.session_id)
        assert runtime["state"] == "ready"
        slow = "import time\nwhile True: time.sleep(1)\n"
        job = RunJob.of(
            get_language("python"), slow, on_output=collect, limits=RunLimits(wall_time_s=2)
        )
        result = await sandbox.run(job, session)
        assert result.timed_out and result.signal == "SIGKILL"
    finally:
        await sandbox.release_session(session.session_id)
    assert (await sandbox.describe_session(session.session_id))["state"] in ("none", "terminating")
