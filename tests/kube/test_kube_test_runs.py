"""A question's tests on the Kubernetes runner: every test runs in the session's own pod
(one at a time, each from an empty directory), and the room hears the same events, filtered
by role, as with the local sandbox."""

from __future__ import annotations

from tests.kube.conftest import NAMESPACE
from tests.test_test_runs import PLUS_ONE, SMALL_ONLY, finished, interview, peer, results_of, start


async def test_a_test_run_runs_every_test_in_the_sessions_pod(kube, kube_client):
    kube_client.peers = []
    question = {
        **PLUS_ONE,
        "tests": [
            *PLUS_ONE["tests"],
            {"name": "leaves nothing", "stdin": "5\n", "expectedStdout": "6\n"},
        ],
    }
    # The code also writes a file: were the tests to share a directory, the third would
    # find the first's file and print something else.
    code = (
        "import os\nseen = os.path.exists('left.txt')\nopen('left.txt', 'w').write('x')\n"
        + SMALL_ONLY.replace("print(", "print('seen' if seen else ")
    )
    _, session_id, interviewer, candidate = await interview(kube_client, question, code=code)
    watcher = await peer(kube_client, interviewer)
    seen_by_candidate = await peer(kube_client, candidate)
    test_run = await start(kube_client, session_id, candidate)
    done = await finished(watcher, test_run["id"])
    await finished(seen_by_candidate, test_run["id"])
    assert (done["passed"], done["failed"], done["total"]) == (2, 1, 3), done
    # small (1) and "leaves nothing" (1) pass; the hidden one (2) fails.
    assert done["score"] == 0.5
    assert kube.cluster.names(NAMESPACE) == [f"duet-{session_id}-python"]
    full = results_of(watcher, test_run["id"])
    shown = results_of(seen_by_candidate, test_run["id"])
    assert full["big"]["actual"] == "0\n" and full["big"]["reason"] == "wrong_answer"
    hidden = shown["big"]
    assert hidden["passed"] is False and hidden["hidden"] is True
    assert all(hidden.get(field) is None for field in ("stdin", "expected", "actual", "stderr"))
    assert shown["leaves nothing"]["actual"] == "6\n"
    for made in kube_client.peers:
        await made.disconnect()
