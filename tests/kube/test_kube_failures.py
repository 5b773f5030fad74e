"""When the pod cannot start or the Kubernetes API fails, the room is told why: a
pod_failed event with the reason, a run_error, and a finished run, never a hang or a 500."""

from __future__ import annotations

import asyncio
import socket

from tests.conftest import create_room
from tests.kube.apiserver import write_kubeconfig
from tests.kube.conftest import NAMESPACE, app_on_kube, kube_settings
from tests.runs_helpers import start_run

HELLO = "print('hi')\n"


async def run_and_finish(client, code=HELLO):
    room = await create_room(client, code=code, language="python")
    peer = await client.peer(room.token)
    run = await start_run(client, room.id, room.token)
    finished = await peer.wait_finished(run["id"])
    return room, peer, run, finished


async def test_an_image_pull_error_reaches_the_room(kube, kube_client):
    kube.cluster.image_failures["python:3.11-slim"] = "ErrImagePull"
    _, peer, run, finished = await run_and_finish(kube_client)
    failed = peer.events["pod_failed"][0]
    assert failed["reason"] == "ErrImagePull" and "image pull error" in failed["message"]
    assert peer.events["run_error"][0]["reason"] == "ErrImagePull"
    assert "duet: image pull error" in peer.output(run["id"], "stderr")
    assert finished["exitCode"] is None
    # The broken pod is gone, so the next run starts afresh.
    assert kube.cluster.names(NAMESPACE) == []
    await kube_client.on_close()


async def test_an_unschedulable_pod_reaches_the_room(kube, kube_client):
    kube.cluster.unschedulable = True
    _, peer, _, _ = await run_and_finish(kube_client)
    failed = peer.events["pod_failed"][0]
    assert failed["reason"] == "Unschedulable" and "Insufficient memory" in failed["message"]
    await kube_client.on_close()


async def test_a_deadline_while_starting_reaches_the_room(kube, kube_client):
    kube.cluster.hold_start.clear()
    room = await create_room(kube_client, code=HELLO, language="python")
    peer = await kube_client.peer(room.token)
    run = await start_run(kube_client, room.id, room.token)
    pending = await peer.wait_event("pod_pending")
    assert pending["pod"] == f"duet-{room.id}-python" and pending["warm"] is False
    await peer.wait_event("pod_progress")
    await kube.cluster.fail_pod(NAMESPACE, pending["pod"], "DeadlineExceeded", "deadline")
    failed = await peer.wait_event("pod_failed")
    assert failed["reason"] == "DeadlineExceeded"
    await peer.wait_finished(run["id"])
    await kube_client.on_close()


async def test_a_forbidden_api_becomes_a_clear_run_error(kube, kube_client):
    kube.cluster.fail("POST", "/pods$", 403, reason="Forbidden")
    _, peer, run, finished = await run_and_finish(kube_client)
    error = peer.events["run_error"][0]
    assert error["reason"] == "Forbidden" and "403" in error["message"]
    assert "Kubernetes refused" in peer.output(run["id"], "stderr")
    assert "service account" in error["message"]
    assert finished["exitCode"] is None
    await kube_client.on_close()


async def test_a_passing_server_error_is_retried(kube, kube_client):
    kube.cluster.fail("POST", "/pods$", 500, times=2)
    _, peer, run, finished = await run_and_finish(kube_client)
    assert finished["exitCode"] == 0 and peer.output(run["id"]) == "hi\n"
    assert peer.events["run_error"] == []
    await kube_client.on_close()


async def test_a_lasting_server_error_becomes_a_clear_run_error(kube, kube_client):
    kube.cluster.fail("POST", "/pods$", 500, times=10)
    _, peer, _, finished = await run_and_finish(kube_client)
    error = peer.events["run_error"][0]
    assert error["reason"] == "ApiUnavailable" and "500" in error["message"]
    assert finished["exitCode"] is None
    await kube_client.on_close()


async def test_a_conflict_on_create_adopts_the_pod_another_server_made(kube, kube_client):
    room = await create_room(kube_client, code=HELLO, language="python")
    peer = await kube_client.peer(room.token)
    # Another server's create lands between our list and our create.
    original_list = kube.cluster.list
    made = []

    def list_then_race(namespace, labels=None, fields=None):
        found = original_list(namespace, labels, fields)
        if labels and "duet.dev/session=" in labels and not made:
            made.append(
                kube.cluster.create(
                    namespace,
                    {
                        "metadata": {
                            "name": f"duet-{room.id}-python",
                            "labels": {
                                "app.kubernetes.io/managed-by": "duet",
                                "duet.dev/role": "session",
                                "duet.dev/session": room.id,
                                "duet.dev/language": "python",
                            },
                        },
                        "spec": {"containers": [{"name": "runner", "image": "python:3.11-slim"}]},
                    },
                )
            )
        return found

    kube.cluster.list = list_then_race
    run = await start_run(kube_client, room.id, room.token)
    finished = await peer.wait_finished(run["id"])
    assert finished["exitCode"] == 0, peer.output(run["id"], "stderr")
    assert kube.cluster.names(NAMESPACE) == [f"duet-{room.id}-python"]
    assert ("POST", f"/api/v1/namespaces/{NAMESPACE}/pods") in kube.cluster.requests
    await kube_client.on_close()


async def test_a_conflict_that_is_not_a_race_is_a_clear_run_error(kube, kube_client):
    # A 409 with no pod behind it is retried a few times, then reported.
    kube.cluster.fail("POST", "/pods$", 409, reason="Conflict", times=10)
    _, peer, _, _ = await run_and_finish(kube_client)
    assert peer.events["run_error"][0]["reason"] == "Conflict"
    assert "409" in peer.events["run_error"][0]["message"]
    await kube_client.on_close()


async def test_an_unreachable_api_becomes_a_clear_run_error(
    aiohttp_client, settings, tmp_path, monkeypatch
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens there now: every connection is refused.
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv(
        "KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}"))
    )
    client = await app_on_kube(aiohttp_client, kube_settings(settings))
    health = await client.get("/api/v1/health/detailed")
    assert any("cannot reach the Kubernetes API" in w for w in (await health.json())["warnings"])
    _, peer, _, finished = await run_and_finish(client)
    error = peer.events["run_error"][0]
    assert error["reason"] == "ApiUnreachable" and f"127.0.0.1:{port}" in error["message"]
    assert finished["exitCode"] is None
    await client.on_close()
    await asyncio.sleep(0)


async def test_a_passing_conflict_with_no_pod_behind_it_is_retried(kube, kube_client):
    kube.cluster.fail("POST", "/pods$", 409, reason="Conflict")
    _, peer, run, finished = await run_and_finish(kube_client)
    assert finished["exitCode"] == 0 and peer.output(run["id"]) == "hi\n"
    assert peer.events["run_error"] == []
    await kube_client.on_close()
