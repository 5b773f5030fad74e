"""The stand-in answers kubernetes-asyncio's real client the way an API server does:
selectors, watches from a resourceVersion, optimistic concurrency, Status errors, and
the exec protocols. If it drifted from the real API, the backend's tests would mean little."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import watch
from kubernetes_asyncio.client.exceptions import ApiException

from runner.errors import RunnerError
from runner.kubernetes.api import connect, load_configuration
from runner.kubernetes.channels import V4, V5, exec_in_pod
from tests.kube.conftest import NAMESPACE


def pod(name, **labels):
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "runner", "image": "busybox"}]},
    }


@pytest.fixture
async def api(kube):
    made = connect(await load_configuration(str(kube.kubeconfig)))
    yield made
    await made.close()


async def test_label_selectors_filter_lists(kube, api):
    for name, role in (("a", "warm"), ("b", "session"), ("c", "session")):
        await api.core.create_namespaced_pod(NAMESPACE, pod(name, role=role, lang="python"))
    listed = await api.core.list_namespaced_pod(NAMESPACE, label_selector="role=session")
    assert [p.metadata.name for p in listed.items] == ["b", "c"]
    listed = await api.core.list_namespaced_pod(NAMESPACE, label_selector="role!=session,lang")
    assert [p.metadata.name for p in listed.items] == ["a"]
    listed = await api.core.list_namespaced_pod(NAMESPACE, label_selector="role in (warm,x)")
    assert [p.metadata.name for p in listed.items] == ["a"]


async def test_a_watch_from_a_version_sees_the_changes_after_it(kube, api):
    created = await api.core.create_namespaced_pod(NAMESPACE, pod("w"))
    seen = []
    async with watch.Watch() as watcher:
        async for event in watcher.stream(
            api.core.list_namespaced_pod,
            NAMESPACE,
            field_selector="metadata.name=w",
            resource_version=created.metadata.resource_version,
            timeout_seconds=5,
        ):
            seen.append((event["type"], event["raw_object"]["status"].get("phase")))
            if seen[-1] == ("MODIFIED", "Running"):
                await api.core.delete_namespaced_pod("w", NAMESPACE, grace_period_seconds=0)
            if event["type"] == "DELETED":
                break
    assert seen[0] == ("MODIFIED", "Pending") and seen[-1][0] == "DELETED"
    assert ("MODIFIED", "Running") in seen


async def test_a_patch_with_a_stale_version_is_a_conflict(kube, api):
    created = await api.core.create_namespaced_pod(NAMESPACE, pod("p", role="warm"))
    stale = created.metadata.resource_version
    await api.core.patch_namespaced_pod("p", NAMESPACE, {"metadata": {"labels": {"x": "1"}}})
    with pytest.raises(ApiException) as conflict:
        await api.core.patch_namespaced_pod(
            "p", NAMESPACE, {"metadata": {"resourceVersion": stale, "labels": {"role": "s"}}}
        )
    assert conflict.value.status == 409
    with pytest.raises(ApiException) as duplicate:
        await api.core.create_namespaced_pod(NAMESPACE, pod("p"))
    assert duplicate.value.status == 409 and "already exists" in duplicate.value.body
    with pytest.raises(ApiException) as missing:
        await api.core.delete_namespaced_pod("nope", NAMESPACE)
    assert missing.value.status == 404


async def _ready_pod(kube, api, name):
    await api.core.create_namespaced_pod(NAMESPACE, pod(name))
    from tests.peers import eventually

    await eventually(lambda: kube.cluster.get(NAMESPACE, name)["status"]["phase"] == "Running")


async def test_exec_speaks_v5_and_falls_back_to_v4(kube, api):
    await _ready_pod(kube, api, "e")
    out = []

    async def collect(channel, data):
        out.append((channel, data))

    result = await exec_in_pod(
        api,
        NAMESPACE,
        "e",
        ["sh", "-c", "cat; echo done >&2; exit 4"],
        stdin=b"in",
        on_output=collect,
    )
    assert result.protocol == V5 and result.exit_code == 4
    assert out == [(1, b"in"), (2, b"done\n")]
    kube.cluster.exec_protocols = (V4,)
    out.clear()
    result = await exec_in_pod(
        api, NAMESPACE, "e", ["sh", "-c", "echo v4"], stdin=None, on_output=collect
    )
    assert result.protocol == V4 and result.exit_code == 0 and out == [(1, b"v4\n")]


async def test_exec_of_a_missing_executable_is_a_runner_error(kube, api):
    await _ready_pod(kube, api, "m")

    async def ignore(channel, data):
        return None

    with pytest.raises(RunnerError, match="no-such-program"):
        await exec_in_pod(api, NAMESPACE, "m", ["no-such-program"], stdin=None, on_output=ignore)
