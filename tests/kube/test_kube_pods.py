"""A session's pod over its life: one per session even with two servers, a warm pool to
claim from, idle deletion, the orphan sweep, deletion with the session, and the runtime
endpoints."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as redis

from runner.kubernetes.backend import KubernetesSandbox
from runner.languages import get_language
from runner.sandbox import SessionContext
from server.state import POOL, REDIS, RUNS
from server.sweeps.pods import sweep_pods
from tests.conftest import bearer, create_room, expect_error, join
from tests.kube.conftest import NAMESPACE, app_on_kube, kube_settings
from tests.peers import eventually
from tests.runs_helpers import start_run

HELLO = "print('hi')\n"
SESSION_PODS = "duet.dev/role=session"
WARM_PODS = "duet.dev/role=warm"


def sandbox_of(client) -> KubernetesSandbox:
    sandbox = client.server.app[RUNS].sandbox
    assert isinstance(sandbox, KubernetesSandbox)
    return sandbox


async def first_run(client, language="python", code=HELLO):
    room = await create_room(client, code=code, language=language)
    peer = await client.peer(room.token)
    run = await start_run(client, room.id, room.token)
    finished = await peer.wait_finished(run["id"])
    assert finished["exitCode"] == 0, peer.output(run["id"], "stderr")
    return room, peer


@pytest.fixture
async def two_sandboxes(kube, settings):
    """Two backends, as two server processes would have, sharing Redis."""
    made, caches = [], []
    for _ in range(2):
        cache = redis.from_url(settings.redis_url)
        caches.append(cache)
        made.append(await KubernetesSandbox.open(kube_settings(settings).kube_settings(), cache))
    yield made
    for sandbox in made:
        await sandbox.close()
    for cache in caches:
        await cache.aclose()


async def test_two_servers_starting_one_session_make_one_pod(kube, two_sandboxes):
    kube.cluster.start_delay = 0.05
    session = SessionContext("abcd0001", int((time.time() + 600) * 1000), lambda *_: None)
    python = get_language("python")
    names = await asyncio.gather(*(s.pods.session_pod(session, python) for s in two_sandboxes))
    assert names[0] == names[1] == "duet-abcd0001-python"
    assert kube.cluster.names(NAMESPACE) == ["duet-abcd0001-python"]
    creates = [r for r in kube.cluster.requests if r[0] == "POST" and r[1].endswith("/pods")]
    assert len(creates) == 1


async def test_the_pod_goes_when_the_session_is_deleted(kube, kube_client):
    room, _ = await first_run(kube_client)
    assert kube.cluster.names(NAMESPACE, SESSION_PODS) == [f"duet-{room.id}-python"]
    response = await kube_client.delete(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    assert response.status == 204
    assert kube.cluster.names(NAMESPACE) == []
    await kube_client.on_close()


async def test_an_idle_pod_is_deleted_and_comes_back_on_the_next_run(kube, kube_client):
    room, peer = await first_run(kube_client)
    sandbox = sandbox_of(kube_client)
    assert await sandbox.sweep_idle(time.time() + 60) == []
    deleted = await sandbox.sweep_idle(time.time() + sandbox.settings.idle_timeout_s + 1)
    assert deleted == [f"duet-{room.id}-python"] and kube.cluster.names(NAMESPACE) == []
    run = await start_run(kube_client, room.id, room.token)
    assert (await peer.wait_finished(run["id"]))["exitCode"] == 0
    assert len(peer.events["pod_pending"]) == 2
    assert kube.cluster.names(NAMESPACE) == [f"duet-{room.id}-python"]
    await kube_client.on_close()


async def test_the_orphan_sweep_deletes_pods_of_sessions_that_are_gone(kube, kube_client):
    room, _ = await first_run(kube_client)
    app = kube_client.server.app
    ghost = SessionContext("0badf00d", int((time.time() + 600) * 1000), lambda *_: None)
    await sandbox_of(kube_client).pods.session_pod(ghost, get_language("python"))
    assert len(kube.cluster.names(NAMESPACE, SESSION_PODS)) == 2
    idle, orphans = await sweep_pods(app[POOL], app[REDIS], sandbox_of(kube_client), 5)
    assert orphans == ["duet-0badf00d-python"] and idle == []
    assert kube.cluster.names(NAMESPACE) == [f"duet-{room.id}-python"]
    await kube_client.on_close()


async def test_a_session_claims_a_warm_pod_and_the_pool_refills(kube, aiohttp_client, settings):
    client = await app_on_kube(aiohttp_client, kube_settings(settings, k8s_warm_pool={"python": 2}))
    await eventually(lambda: len(kube.cluster.names(NAMESPACE, WARM_PODS)) == 2, 10, "pool")
    warm = set(kube.cluster.names(NAMESPACE, WARM_PODS))
    room, peer = await first_run(client)
    ready = peer.events["pod_ready"][0]
    assert ready["warm"] is True and ready["pod"] in warm
    claimed = kube.cluster.get(NAMESPACE, ready["pod"])
    assert claimed["metadata"]["labels"]["duet.dev/session"] == room.id
    # Brought down to the session's end (it was the warm pool's maximum).
    assert claimed["spec"]["activeDeadlineSeconds"] <= settings.session_ttl
    await eventually(lambda: len(kube.cluster.names(NAMESPACE, WARM_PODS)) == 2, 10, "refill")
    assert ready["pod"] not in kube.cluster.names(NAMESPACE, WARM_PODS)
    await client.on_close()


async def test_two_servers_cannot_claim_the_same_warm_pod(kube, settings):
    settings = kube_settings(settings, k8s_warm_pool={"python": 1})
    caches = [redis.from_url(settings.redis_url) for _ in range(2)]
    sandboxes = [await KubernetesSandbox.open(settings.kube_settings(), c) for c in caches]
    try:
        assert await sandboxes[0].warm_pool.refill("python") == 1
        python = get_language("python")
        sessions = [
            SessionContext(sid, int((time.time() + 600) * 1000), lambda *_: None)
            for sid in ("aaaa0001", "aaaa0002")
        ]
        claims = await asyncio.gather(
            *(
                s.warm_pool.claim(session, python)
                for s, session in zip(sandboxes, sessions, strict=True)
            )
        )
        assert sum(claim is not None for claim in claims) == 1
    finally:
        for sandbox in sandboxes:
            await sandbox.close()
        for cache in caches:
            await cache.aclose()


async def test_the_runtime_reports_the_pod(kube, kube_client):
    room = await create_room(kube_client, code=HELLO, language="python")
    path = f"/api/v1/sessions/{room.id}/runtime"
    response = await kube_client.get(path, headers=bearer(room.token))
    assert (await response.json())["data"]["state"] == "none"
    peer = await kube_client.peer(room.token)
    run = await start_run(kube_client, room.id, room.token)
    await peer.wait_finished(run["id"])
    kube.cluster.metrics[f"duet-{room.id}-python"] = {"cpu": "12m", "memory": "34Mi"}
    runtime = (await (await kube_client.get(path, headers=bearer(room.token))).json())["data"]
    assert runtime["state"] == "ready" and runtime["pod"] == f"duet-{room.id}-python"
    assert runtime["node"] == "stand-in-node-1" and runtime["language"] == "python"
    assert runtime["usage"] == {"cpu": "12m", "memory": "34Mi"}
    assert runtime["ageSeconds"] >= 0 and runtime["image"] == "python:3.11-slim"
    await kube_client.on_close()


async def test_interviewers_restart_and_stop_the_pod_and_candidates_may_not(kube, kube_client):
    room, peer = await first_run(kube_client)
    _, candidate = await join(kube_client, room, room.candidate_invite)
    path = f"/api/v1/sessions/{room.id}/runtime"
    for action in ("restart", "stop"):
        await expect_error(
            await kube_client.post(f"{path}/{action}", headers=bearer(candidate)), 403, "FORBIDDEN"
        )
    old_uid = kube.cluster.get(NAMESPACE, f"duet-{room.id}-python")["metadata"]["uid"]
    response = await kube_client.post(f"{path}/restart", headers=bearer(room.token))
    assert response.status == 202
    await eventually(lambda: len(peer.events["pod_ready"]) == 2, 10, "restarted pod ready")
    new = kube.cluster.get(NAMESPACE, f"duet-{room.id}-python")
    assert new["metadata"]["uid"] != old_uid
    response = await kube_client.post(f"{path}/stop", headers=bearer(room.token))
    assert response.status == 200 and (await response.json())["data"]["state"] == "none"
    assert kube.cluster.names(NAMESPACE) == []
    await kube_client.on_close()


async def test_the_runtime_api_says_what_went_wrong_with_the_api(kube, kube_client):
    room = await create_room(kube_client, code=HELLO, language="python")
    kube.cluster.fail("GET", "/pods$", 403, reason="Forbidden")
    await expect_error(
        await kube_client.get(f"/api/v1/sessions/{room.id}/runtime", headers=bearer(room.token)),
        503,
        "SERVICE_UNAVAILABLE",
    )
    await kube_client.on_close()


async def test_a_local_runner_has_no_runtime_to_restart(client):
    room = await create_room(client, code=HELLO, language="python")
    path = f"/api/v1/sessions/{room.id}/runtime"
    runtime = (await (await client.get(path, headers=bearer(room.token))).json())["data"]
    assert runtime["state"] == "local" and runtime["backend"] == "bubblewrap"
    for action in ("restart", "stop"):
        await expect_error(
            await client.post(f"{path}/{action}", headers=bearer(room.token)), 409, "CONFLICT"
        )


async def test_a_pod_deleted_behind_our_back_is_replaced_on_the_next_run(kube, kube_client):
    room, peer = await first_run(kube_client)
    # Another server's sweep (or a person with kubectl) deleted it; this server still
    # remembers it as ready.
    await kube.cluster.delete(NAMESPACE, f"duet-{room.id}-python")
    run = await start_run(kube_client, room.id, room.token)
    finished = await peer.wait_finished(run["id"])
    assert finished["exitCode"] == 0 and peer.output(run["id"]) == "hi\n"
    assert kube.cluster.names(NAMESPACE) == [f"duet-{room.id}-python"]
    await kube_client.on_close()


async def test_changing_the_language_replaces_the_pod(kube, kube_client):
    room, peer = await first_run(kube_client)
    run = await start_run(
        kube_client, room.id, room.token, code="console.log(6 * 7)", language="javascript"
    )
    finished = await peer.wait_finished(run["id"])
    assert finished["exitCode"] == 0 and peer.output(run["id"]) == "42\n"
    assert kube.cluster.names(NAMESPACE) == [f"duet-{room.id}-javascript"]
    await kube_client.on_close()


async def test_the_pod_cannot_be_restarted_or_stopped_during_a_run(kube, kube_client):
    room = await create_room(kube_client, code="import time\ntime.sleep(30)\n", language="python")
    peer = await kube_client.peer(room.token)
    run = await start_run(kube_client, room.id, room.token)
    await peer.wait_event("pod_ready")
    for action in ("restart", "stop"):
        await expect_error(
            await kube_client.post(
                f"/api/v1/sessions/{room.id}/runtime/{action}", headers=bearer(room.token)
            ),
            409,
            "RUN_IN_PROGRESS",
        )
    await kube_client.post(
        f"/api/v1/sessions/{room.id}/runs/{run['id']}/cancel", headers=bearer(room.token)
    )
    assert (await peer.wait_finished(run["id"]))["cancelled"] is True
    await kube_client.on_close()


async def test_the_sweep_deletes_failed_and_unpooled_warm_pods(kube, aiohttp_client, settings):
    client = await app_on_kube(aiohttp_client, kube_settings(settings, k8s_warm_pool={"python": 1}))
    app = client.server.app
    sandbox = sandbox_of(client)
    await eventually(lambda: len(kube.cluster.names(NAMESPACE, WARM_PODS)) == 1, 10, "pool")
    expired = kube.cluster.names(NAMESPACE, WARM_PODS)[0]
    await kube.cluster.fail_pod(NAMESPACE, expired, "DeadlineExceeded", "deadline")
    # A pool that was configured before (ruby) and is not any more.
    stray = kube.cluster.create(NAMESPACE, {
        "metadata": {"name": "duet-warm-ruby-abcde", "labels": {
            "app.kubernetes.io/managed-by": "duet", "duet.dev/role": "warm",
            "duet.dev/language": "ruby"}},
        "spec": {"containers": [{"name": "runner", "image": "ruby:3.1-slim"}]},
    })  # fmt: skip
    _, orphans = await sweep_pods(app[POOL], app[REDIS], sandbox, 5)
    assert sorted(orphans) == sorted([expired, stray["metadata"]["name"]])
    await client.on_close()


async def test_a_new_pod_waits_for_the_old_one_to_finish_terminating(kube, two_sandboxes):
    session = SessionContext("abcd0002", int((time.time() + 600) * 1000), lambda *_: None)
    python = get_language("python")
    first, second = two_sandboxes
    name = await first.pods.session_pod(session, python)
    # The old pod is terminating (deletionTimestamp set, object still there) when the
    # other server creates the session's pod again under the same name.
    kube.cluster.pods[(NAMESPACE, name)]["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    again = await second.pods.create(session, python)
    assert again["metadata"]["name"] == name
    assert not again["metadata"].get("deletionTimestamp")
