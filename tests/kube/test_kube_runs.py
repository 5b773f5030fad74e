"""Runs on the Kubernetes runner, end to end: the app creates the session's pod through
the stand-in API, execs the program over the channel WebSocket, and the room sees the
same run events as with the local sandbox."""

from __future__ import annotations

from tests.conftest import bearer, create_room
from tests.kube.conftest import NAMESPACE, app_on_kube, kube_settings
from tests.peers import eventually
from tests.runs_helpers import start_run


async def test_a_run_streams_output_and_exit_code_from_the_pod(kube, kube_client):
    code = "import sys\nprint('hello from the pod')\nprint('oops', file=sys.stderr)\nsys.exit(3)\n"
    room = await create_room(kube_client, code=code, language="python")
    peer = await kube_client.peer(room.token)
    run = await start_run(kube_client, room.id, room.token)
    finished = await peer.wait_finished(run["id"])
    assert peer.output(run["id"]) == "hello from the pod\n"
    assert peer.output(run["id"], "stderr") == "oops\n"
    assert finished["exitCode"] == 3 and finished["stage"] == "run", finished
    assert kube.cluster.names(NAMESPACE) == [f"duet-{room.id}-python"]
    assert [e["pod"] for e in peer.events["pod_ready"]] == [f"duet-{room.id}-python"]
    await kube_client.on_close()


async def run_in_room(client, code, language="python", **body):
    room = await create_room(client, code=code, language=language)
    peer = await client.peer(room.token)
    run = await start_run(client, room.id, room.token, **body)
    finished = await peer.wait_finished(run["id"])
    return room, peer, run, finished


ECHO_STDIN = "import sys\ndata = sys.stdin.read()\nprint(len(data), data.upper())\n"


async def test_stdin_reaches_the_program_and_then_ends(kube, kube_client):
    # The program reads to EOF: without the v5 close it would wait out its time limit.
    _, peer, run, finished = await run_in_room(kube_client, ECHO_STDIN, stdin="abc\ndef")
    assert peer.output(run["id"]) == "7 ABC\nDEF\n"
    assert finished["exitCode"] == 0 and not finished["timedOut"]
    await kube_client.on_close()


async def test_stdin_works_over_the_v4_protocol_too(kube, kube_client):
    kube.cluster.exec_protocols = ("v4.channel.k8s.io",)
    _, peer, run, finished = await run_in_room(kube_client, ECHO_STDIN, stdin="xy")
    assert peer.output(run["id"]) == "2 XY\n"
    assert finished["exitCode"] == 0 and not finished["timedOut"]
    await kube_client.on_close()


async def test_the_time_limit_kills_the_program_inside_the_pod(kube, aiohttp_client, settings):
    client = await app_on_kube(aiohttp_client, kube_settings(settings, run_wall_time=1.0))
    code = "import time\nprint('started', flush=True)\nwhile True:\n    time.sleep(0.1)\n"
    room, peer, run, finished = await run_in_room(client, code)
    assert peer.output(run["id"]) == "started\n"
    assert finished["timedOut"] is True and finished["signal"] == "SIGKILL", finished
    # Killed in the pod, not just abandoned by closing the stream.
    await eventually(lambda: kube.cluster.live_processes(NAMESPACE, f"duet-{room.id}-python") == 0)
    await client.on_close()


async def test_cancel_kills_the_program_inside_the_pod(kube, kube_client):
    code = "import time\nprint('started', flush=True)\ntime.sleep(60)\n"
    room = await create_room(kube_client, code=code, language="python")
    peer = await kube_client.peer(room.token)
    run = await start_run(kube_client, room.id, room.token)
    await eventually(lambda: peer.output(run["id"]) == "started\n", 20)
    response = await kube_client.post(
        f"/api/v1/sessions/{room.id}/runs/{run['id']}/cancel", headers=bearer(room.token)
    )
    assert response.status == 202
    finished = await peer.wait_finished(run["id"])
    assert finished["cancelled"] is True and finished["signal"] == "SIGKILL"
    await eventually(lambda: kube.cluster.live_processes(NAMESPACE, f"duet-{room.id}-python") == 0)
    await kube_client.on_close()


async def test_a_compile_error_stops_at_the_compile_stage(kube, kube_client):
    _, peer, run, finished = await run_in_room(kube_client, "int main( {", language="c")
    assert finished["stage"] == "compile" and finished["exitCode"] not in (0, None)
    assert "error" in peer.output(run["id"], "stderr")
    await kube_client.on_close()


async def test_the_output_budget_stops_the_program(kube, aiohttp_client, settings):
    client = await app_on_kube(aiohttp_client, kube_settings(settings, run_output_bytes=2048))
    room, peer, run, finished = await run_in_room(client, "while True:\n    print('x' * 100)\n")
    assert finished["outputTruncated"] is True and not finished["timedOut"]
    assert len(peer.output(run["id"])) == 2048
    await eventually(lambda: kube.cluster.live_processes(NAMESPACE, f"duet-{room.id}-python") == 0)
    await client.on_close()


async def test_languages_are_those_with_an_image(kube, aiohttp_client, settings):
    client = await app_on_kube(
        aiohttp_client, kube_settings(settings, k8s_images={"python": "example/py:3.12.1-slim"})
    )
    listed = {i["name"]: i for i in (await (await client.get("/api/v1/languages")).json())["data"]}
    assert listed["python"] == {
        "name": "python",
        "version": "3.12.1",
        "available": True,
        "runnable": True,
    }
    assert listed["go"]["version"] == "1.19" and listed["go"]["available"] is True
    assert listed["html"]["runnable"] is False
    room = await create_room(client, code="print(1)\n", language="python")
    peer = await client.peer(room.token)
    run = await start_run(client, room.id, room.token)
    await peer.wait_finished(run["id"])
    pod = kube.cluster.get(NAMESPACE, f"duet-{room.id}-python")
    assert pod["spec"]["containers"][0]["image"] == "example/py:3.12.1-slim"
    await client.on_close()


async def test_a_slow_pod_start_does_not_count_against_the_time_limit(
    kube, aiohttp_client, settings
):
    kube.cluster.start_delay = 1.5
    client = await app_on_kube(aiohttp_client, kube_settings(settings, run_wall_time=1.0))
    _, peer, run, finished = await run_in_room(client, "print('in time')\n")
    assert finished["timedOut"] is False and finished["exitCode"] == 0, finished
    assert peer.output(run["id"]) == "in time\n"
    await client.on_close()


async def test_a_container_killed_for_memory_reports_memory_exceeded(kube, kube_client):
    code = "import time\nprint('allocating', flush=True)\ntime.sleep(30)\n"
    room = await create_room(kube_client, code=code, language="python")
    peer = await kube_client.peer(room.token)
    run = await start_run(kube_client, room.id, room.token)
    await eventually(lambda: peer.output(run["id"]) == "allocating\n", 20)
    await kube.cluster.oom_kill(NAMESPACE, f"duet-{room.id}-python")
    finished = await peer.wait_finished(run["id"])
    assert finished["memoryExceeded"] is True and finished["signal"] == "SIGKILL", finished
    assert finished["timedOut"] is False
    # The failed pod is replaced by the next run.
    old_uid = kube.cluster.get(NAMESPACE, f"duet-{room.id}-python")["metadata"]["uid"]
    again = await start_run(kube_client, room.id, room.token, code="print('back')\n")
    assert (await peer.wait_finished(again["id"]))["exitCode"] == 0
    assert kube.cluster.get(NAMESPACE, f"duet-{room.id}-python")["metadata"]["uid"] != old_uid
    await kube_client.on_close()
