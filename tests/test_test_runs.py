"""Running a question's tests: anyone in the room starts a test run, each test runs in its own
sandbox and is compared by the question's mode, the room hears every result as it finishes
(a hidden test's data only by interviewers, on every door), the score is weighted, a test
run and a run never overlap, and the score reaches the scorecards and the webhooks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from server.app import create_app
from server.state import POOL
from server.test_runs.compare import outputs_match
from tests.accounts_helpers import owned_session, register, until
from tests.conftest import Room, bearer, create_room, expect_error, join
from tests.peers import JsonPeer, eventually

PLUS_ONE = {
    "title": "Plus one",
    "prompt": "Print the number plus one.",
    "starters": {"python": "n = int(input())\n"},
    "tests": [
        {"name": "small", "stdin": "1\n", "expectedStdout": "2\n"},
        {"name": "big", "stdin": "777777\n", "expectedStdout": "777778\n", "hidden": True,
         "weight": 2},
    ],
    "interviewerNotes": "Easy warm-up.",
}
RIGHT = "print(int(input()) + 1)\n"
# Right for the visible test only: the hidden one is worth two of three.
SMALL_ONLY = "n = int(input())\nprint(n + 1 if n < 10 else 0)\n"


@pytest.fixture
async def client(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings))
    client.peers = []
    yield client
    for peer in client.peers:
        await peer.disconnect()


async def peer(client, token: str) -> JsonPeer:
    made = JsonPeer()
    client.peers.append(made)
    await made.connect(str(client.make_url("/")), token)
    return made


async def interview(client, question: dict[str, Any] = PLUS_ONE, code: str = "", **fields):
    """An account's session with the question pinned: owner, session id, the interviewer's
    and the candidate's tokens."""
    owner = await register(client)
    body = await owned_session(client, owner.access, code=code, language="python", **fields)
    session = body["data"]
    room = Room(session["id"], {}, "", body["invites"]["interviewer"]["token"],
                body["invites"]["candidate"]["token"], body)  # fmt: skip
    _, interviewer = await join(client, room, room.interviewer_invite)
    _, candidate = await join(client, room, room.candidate_invite)
    made = await client.post("/api/v1/questions", json=question, headers=owner.headers)
    assert made.status == 201, await made.text()
    pinned = await client.put(
        f"/api/v1/sessions/{session['id']}/question",
        json={"questionId": (await made.json())["data"]["id"]}, headers=bearer(interviewer),
    )  # fmt: skip
    assert pinned.status == 200, await pinned.text()
    return owner, session["id"], interviewer, candidate


def path(session_id: str, suffix: str = "") -> str:
    return f"/api/v1/sessions/{session_id}/test-runs{suffix}"


async def start(client, session_id: str, token: str, **body) -> dict[str, Any]:
    response = await client.post(path(session_id), json=body, headers=bearer(token))
    assert response.status == 202, await response.text()
    return (await response.json())["data"]


async def finished(watcher: JsonPeer, test_run_id: str, within: float = 60.0) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        ends = [e for e in watcher.events["test_run_finished"] if e["testRunId"] == test_run_id]
        return ends[0] if ends else None

    await eventually(lambda: found() is not None, within, f"test run {test_run_id} finished")
    return found()  # type: ignore[return-value]


def results_of(watcher: JsonPeer, test_run_id: str) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in watcher.events["test_result"] if e["testRunId"] == test_run_id}


async def read(client, session_id: str, token: str, test_run_id: str) -> dict[str, Any]:
    response = await client.get(path(session_id, f"/{test_run_id}"), headers=bearer(token))
    assert response.status == 200, await response.text()
    return (await response.json())["data"]


@pytest.mark.parametrize(
    ("mode", "actual", "expected", "matches"),
    [
        ("exact", "1 2\n", "1 2\n", True),
        ("exact", "1 2", "1 2\n", False),
        ("trim", "1 2  \r\n\n\n", "1 2", True),
        ("trim", " 1 2", "1 2", False),  # leading space is visible
        ("trim", "a\nb", "a\n\nb", False),
        ("tokens", " 0\t1\n\n", "0 1\n", True),
        ("tokens", "0 1 2", "0 1", False),
        ("float:1e-6", "0.3333333 2", "0.33333333 2", True),
        ("float:1e-6", "0.334", "0.333", False),
        ("float:1e-6", "1000000001", "1000000000", True),  # relative for large numbers
        ("float:1e-6", "nan", "nan", True),  # the same word
        ("float:1e-6", "inf", "1e308", False),
        ("float:1e-6", "1 2", "1", False),
        ("float:0.5", "yes", "no", False),
    ],
)
def test_outputs_compare_by_the_questions_mode(mode, actual, expected, matches):
    assert outputs_match(mode, actual, expected) is matches


def test_an_unknown_compare_mode_is_refused():
    with pytest.raises(ValueError, match="unknown compare mode"):
        outputs_match("fuzzy", "a", "a")


async def test_a_candidates_test_run_reaches_the_room_by_role(client):
    owner, session_id, interviewer, candidate = await interview(client, code=SMALL_ONLY)
    seen_by_interviewer = await peer(client, interviewer)
    seen_by_candidate = await peer(client, candidate)
    test_run = await start(client, session_id, candidate)
    assert test_run["status"] == "running" and test_run["total"] == 2
    assert test_run["questionVersion"] == 1 and test_run["language"] == "python"

    end = await finished(seen_by_interviewer, test_run["id"])
    assert end == {"testRunId": test_run["id"], "passed": 1, "failed": 1, "total": 2,
                   "score": pytest.approx(1 / 3), "durationMs": end["durationMs"],
                   "cancelled": False}  # fmt: skip
    started = seen_by_candidate.events["test_run_started"][0]
    assert started["testRunId"] == test_run["id"] and started["total"] == 2

    whole = results_of(seen_by_interviewer, test_run["id"])
    assert whole["small"]["passed"] and whole["small"]["reason"] == "passed"
    assert whole["big"] == {
        "testRunId": test_run["id"], "index": 1, "name": "big", "hidden": True, "weight": 2.0,
        "passed": False, "durationMs": whole["big"]["durationMs"], "reason": "wrong_answer",
        "stdin": "777777\n", "expected": "777778\n", "actual": "0\n", "stderr": "",
    }  # fmt: skip
    await finished(seen_by_candidate, test_run["id"])
    shown = results_of(seen_by_candidate, test_run["id"])
    assert shown["small"] == whole["small"]  # a visible test is the same for everyone
    assert shown["big"]["passed"] is False and shown["big"]["reason"] == "wrong_answer"
    assert [shown["big"][k] for k in ("stdin", "expected", "actual", "stderr")] == [None] * 4
    # Nowhere in what the candidate's socket received is the hidden input.
    assert "777777" not in json.dumps(seen_by_candidate.events["test_result"])

    # REST answers by role too, whoever started the run.
    assert (await read(client, session_id, interviewer, test_run["id"]))["results"][1][
        "stdin"
    ] == "777777\n"
    candidate_view = await read(client, session_id, candidate, test_run["id"])
    assert candidate_view["status"] == "finished" and candidate_view["score"] == pytest.approx(
        1 / 3
    )
    assert candidate_view["results"][1]["stdin"] is None
    assert "777777" not in json.dumps(candidate_view["results"])
    owners = await read(client, session_id, owner.access, test_run["id"])
    assert owners["results"][1]["actual"] == "0\n"


async def test_an_interviewers_test_run_hides_nothing_from_interviewers_only(client):
    _, session_id, interviewer, candidate = await interview(client, code=RIGHT)
    seen_by_candidate = await peer(client, candidate)
    ws = await client.ws_connect(f"/ws/sessions/{session_id}?token={candidate}")
    test_run = await start(client, session_id, interviewer)
    end = await finished(seen_by_candidate, test_run["id"])
    assert end["passed"] == 2 and end["score"] == 1.0
    # The seed's raw WebSocket door gets the candidate's copy as well.
    results: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while len(results) < 2:
            message = json.loads((await ws.receive()).data)
            if message["type"] == "test_result":
                results.append(message["data"])
    await ws.close()
    hidden = next(result for result in results if result["hidden"])
    assert hidden["passed"] and hidden["stdin"] is None and hidden["actual"] is None


async def test_run_tests_over_socketio_with_code_of_its_own(client):
    _, _, interviewer, candidate = await interview(client, code="print('nothing')\n")
    watcher = await peer(client, interviewer)
    sender = await peer(client, candidate)
    await sender.emit("run_tests", {"code": RIGHT})
    await eventually(lambda: watcher.events["test_run_started"], what="test_run_started")
    test_run_id = watcher.events["test_run_started"][0]["testRunId"]
    assert (await finished(watcher, test_run_id))["passed"] == 2
    # A refused one answers its sender: the language of the body is checked.
    await sender.emit("run_tests", {"language": "cobol"})
    await eventually(lambda: sender.events["error"], what="an error for run_tests")
    error = sender.events["error"][0]
    assert error["code"] == "INVALID_MESSAGE" and error["event"] == "run_tests"


async def test_a_harness_lets_the_candidate_write_a_function(client):
    question = {
        **PLUS_ONE,
        "tests": [
            {"name": "pair", "stdin": "2 7 11 15\n9\n", "expectedStdout": "0 1\n"},
            {"name": "tail", "stdin": "1 2 3\n5\n", "expectedStdout": "1 2\n", "hidden": True},
        ],
        "compare": "tokens",
        "harness": {
            "python": "import sys\nfrom solution import solve\n"
            "lines = sys.stdin.read().split('\\n')\n"
            "print(*solve(list(map(int, lines[0].split())), int(lines[1])))\n",
            "javascript": "const { solve } = require('./solution.js');\n"
            "const [a, b] = require('fs').readFileSync(0, 'utf8').split('\\n');\n"
            "console.log(solve(a.split(' ').map(Number), Number(b)).join(' '));\n",
        },
    }
    python = (
        "def solve(nums, target):\n    seen = {}\n    for i, n in enumerate(nums):\n"
        "        if target - n in seen:\n            return seen[target - n], i\n"
        "        seen[n] = i\n"
    )
    javascript = (
        "function solve(nums, target) {\n  const seen = new Map();\n"
        "  for (let i = 0; i < nums.length; i++) {\n"
        "    if (seen.has(target - nums[i])) return [seen.get(target - nums[i]), i];\n"
        "    seen.set(nums[i], i);\n  }\n}\nmodule.exports = { solve };\n"
    )
    _, session_id, interviewer, _ = await interview(client, question, code=python)
    watcher = await peer(client, interviewer)
    for body in ({}, {"language": "javascript", "code": javascript}):
        test_run = await start(client, session_id, interviewer, **body)
        end = await finished(watcher, test_run["id"])
        assert end["passed"] == 2, results_of(watcher, test_run["id"])
    # Without the function the harness fails the test as a runtime error, with its stderr.
    test_run = await start(client, session_id, interviewer, code="x = 1\n")
    await finished(watcher, test_run["id"])
    pair = results_of(watcher, test_run["id"])["pair"]
    assert pair["reason"] == "runtime_error" and "solve" in pair["stderr"]


async def test_a_slow_test_times_out_while_the_others_pass(client):
    question = {
        **PLUS_ONE,
        "tests": [
            {"name": "quick", "stdin": "1\n", "expectedStdout": "2\n"},
            {"name": "slow", "stdin": "0\n", "expectedStdout": "1\n", "timeoutMs": 700},
            {"name": "also quick", "stdin": "5\n", "expectedStdout": "6\n"},
        ],
    }
    code = "import time\nn = int(input())\nif n == 0:\n    time.sleep(30)\nprint(n + 1)\n"
    _, session_id, interviewer, _ = await interview(client, question, code=code)
    watcher = await peer(client, interviewer)
    test_run = await start(client, session_id, interviewer)
    end = await finished(watcher, test_run["id"])
    assert (end["passed"], end["failed"]) == (2, 1)
    results = results_of(watcher, test_run["id"])
    assert results["slow"]["reason"] == "time_limit" and not results["slow"]["passed"]
    assert results["quick"]["passed"] and results["also quick"]["passed"]
    stored = await read(client, session_id, interviewer, test_run["id"])
    assert [r["name"] for r in stored["results"]] == ["quick", "slow", "also quick"]


async def test_a_test_run_holds_the_run_lock_until_cancelled(client):
    question = {
        **PLUS_ONE,
        "tests": [{"name": "forever", "stdin": "", "expectedStdout": "", "timeoutMs": 60_000}],
    }
    code = "import time\ntime.sleep(60)\n"
    _, session_id, interviewer, candidate = await interview(client, question, code=code)
    watcher = await peer(client, candidate)
    test_run = await start(client, session_id, candidate)
    runs = f"/api/v1/sessions/{session_id}/runs"
    await expect_error(
        await client.post(runs, headers=bearer(interviewer)), 409, "RUN_IN_PROGRESS"
    )
    await expect_error(
        await client.post(path(session_id), headers=bearer(interviewer)), 409, "RUN_IN_PROGRESS"
    )
    cancel = path(session_id, f"/{test_run['id']}/cancel")
    response = await client.post(cancel, headers=bearer(interviewer))
    assert response.status == 202, await response.text()
    end = await finished(watcher, test_run["id"])
    assert end["cancelled"] is True and end["passed"] == 0
    assert results_of(watcher, test_run["id"])["forever"]["reason"] == "cancelled"
    # Cancelling a finished test run answers it as it ended.
    again = await client.post(cancel, headers=bearer(interviewer))
    assert again.status == 200 and (await again.json())["data"]["status"] == "finished"

    async def a_run_starts() -> bool:
        response = await client.post(runs, json={"code": "print(1)"}, headers=bearer(candidate))
        return response.status == 202

    await until(a_run_starts, "a run once the test run ended")


async def test_run_cancel_without_an_id_stops_the_test_run(client):
    question = {**PLUS_ONE, "tests": [{"name": "forever", "stdin": "", "expectedStdout": "",
                                       "timeoutMs": 60_000}]}  # fmt: skip
    _, session_id, interviewer, _ = await interview(client, question, code="while True: pass\n")
    watcher = await peer(client, interviewer)
    test_run = await start(client, session_id, interviewer)
    await watcher.emit("run_cancel", {})
    assert (await finished(watcher, test_run["id"]))["cancelled"] is True


async def test_the_history_lists_test_runs_newest_first(client):
    _, session_id, interviewer, candidate = await interview(client, code=RIGHT)
    watcher = await peer(client, interviewer)
    first = await start(client, session_id, candidate)
    await finished(watcher, first["id"])
    second = await start(client, session_id, interviewer, code=SMALL_ONLY)
    await finished(watcher, second["id"])
    response = await client.get(path(session_id, "?limit=1"), headers=bearer(candidate))
    page = await response.json()
    assert [t["id"] for t in page["data"]] == [second["id"]]
    assert page["data"][0]["results"][1]["stdin"] is None
    response = await client.get(
        path(session_id, f"?limit=1&cursor={page['nextCursor']}"), headers=bearer(interviewer)
    )
    rest = await response.json()
    assert [t["id"] for t in rest["data"]] == [first["id"]] and rest["nextCursor"] is None
    assert rest["data"][0]["results"][1]["stdin"] == "777777\n"


async def test_what_a_test_run_refuses(client):
    owner, session_id, interviewer, candidate = await interview(client, code=RIGHT)
    unknown = "00000000-0000-4000-8000-000000000000"
    for suffix in (f"/{unknown}", f"/{unknown}/cancel"):
        method = client.post if suffix.endswith("cancel") else client.get
        await expect_error(
            await method(path(session_id, suffix), headers=bearer(candidate)),
            404, "TEST_RUN_NOT_FOUND",
        )  # fmt: skip
    await expect_error(
        await client.get(path(session_id, "/not-a-uuid"), headers=bearer(candidate)),
        400, "INVALID_REQUEST",
    )  # fmt: skip
    for body, status, code in (
        ({"language": "html"}, 400, "INVALID_REQUEST"),  # renders in the browser
        ({"language": "cobol"}, 400, "INVALID_REQUEST"),
        ({"code": 7}, 400, "INVALID_REQUEST"),
        ({"surprise": True}, 400, "INVALID_REQUEST"),
        ({"code": "x" * 2_000_000}, 413, "PAYLOAD_TOO_LARGE"),
    ):
        await expect_error(
            await client.post(path(session_id), json=body, headers=bearer(candidate)),
            status, code,
        )  # fmt: skip
    await expect_error(await client.post(path(session_id)), 401, "UNAUTHORIZED")

    # No question, no tests to run.
    anonymous = await create_room(client, code=RIGHT, language="python")
    await expect_error(
        await client.post(path(anonymous.id), headers=bearer(anonymous.token)),
        404, "QUESTION_NOT_FOUND",
    )  # fmt: skip
    # Once the interview ended, no more test runs; the record stays readable.
    ended = await client.post(f"/api/v1/sessions/{session_id}/end", headers=owner.headers)
    assert ended.status == 200
    await expect_error(
        await client.post(path(session_id), headers=bearer(interviewer)), 409, "SESSION_ENDED"
    )
    listing = await client.get(path(session_id), headers=bearer(interviewer))
    assert listing.status == 200 and (await listing.json())["data"] == []


async def test_the_score_reaches_the_scorecards_and_the_webhooks(client):
    owner, session_id, interviewer, candidate = await interview(client, code=SMALL_ONLY)
    hook = await client.post(
        "/api/v1/webhooks", headers=owner.headers,
        json={"url": "https://ats.example.com/duet",
              "events": ["test_run.finished", "session.ended"]},
    )  # fmt: skip
    assert hook.status == 201, await hook.text()
    scorecards = f"/api/v1/sessions/{session_id}/evaluations"
    before = await (await client.get(scorecards, headers=bearer(interviewer))).json()
    assert before["testScore"] is None
    watcher = await peer(client, interviewer)
    test_run = await start(client, session_id, candidate)
    await finished(watcher, test_run["id"])
    after = await (await client.get(scorecards, headers=bearer(interviewer))).json()
    assert after["testScore"] == {
        "testRunId": test_run["id"], "questionId": test_run["questionId"],
        "questionVersion": 1, "language": "python", "passed": 1, "failed": 1, "total": 2,
        "score": pytest.approx(1 / 3), "finishedAt": after["testScore"]["finishedAt"],
    }  # fmt: skip
    assert (await client.post(f"/api/v1/sessions/{session_id}/end", headers=owner.headers)).ok

    async def payloads() -> dict[str, dict[str, Any]]:
        rows = await client.app[POOL].fetch("SELECT event, payload FROM webhook_deliveries")
        return {row["event"]: json.loads(row["payload"]) for row in rows}

    sent = await payloads()
    finished_run = sent["test_run.finished"]["data"]
    assert finished_run["sessionId"] == session_id
    assert finished_run["testRun"]["results"][1]["stdin"] == "777777\n"  # the organization's own
    assert sent["session.ended"]["data"]["testScore"]["testRunId"] == test_run["id"]


async def test_an_author_tries_a_reference_solution(client):
    owner = await register(client)
    body = {"language": "python", "code": SMALL_ONLY, "tests": PLUS_ONE["tests"]}
    response = await client.post("/api/v1/questions/try", json=body, headers=owner.headers)
    assert response.status == 200, await response.text()
    trial = (await response.json())["data"]
    assert (trial["total"], trial["passed"], trial["failed"]) == (2, 1, 1)
    assert trial["score"] == pytest.approx(1 / 3)
    assert trial["results"][1]["stdin"] == "777777\n" and trial["results"][1]["actual"] == "0\n"

    anonymous = await create_room(client)
    for headers, bad, status, code in (
        ({}, body, 401, "UNAUTHORIZED"),
        (bearer(anonymous.token), body, 403, "FORBIDDEN"),  # a participant
        (owner.headers, {**body, "tests": []}, 400, "INVALID_REQUEST"),
        (owner.headers, {**body, "language": "cobol"}, 400, "INVALID_REQUEST"),
        (owner.headers, {**body, "harness": {"cobol": "x"}}, 400, "INVALID_REQUEST"),
        (owner.headers, {**body, "compare": "fuzzy"}, 400, "INVALID_REQUEST"),
        (owner.headers, {k: v for k, v in body.items() if k != "code"}, 400, "INVALID_REQUEST"),
    ):
        await expect_error(
            await client.post("/api/v1/questions/try", json=bad, headers=headers), status, code
        )
