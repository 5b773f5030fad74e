"""Runs on the Kubernetes runner, end to end: the app creates the session's pod through
the stand-in API, execs the program over the channel WebSocket, and the room sees the
same run events as with the local sandbox."""

from __future__ import annotations

from tests.conftest import create_room
from tests.kube.conftest import NAMESPACE
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
