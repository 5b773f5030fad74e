"""Running code through the API: REST and the `run` event start a run, the whole room
receives run_started / run_output / run_finished as the program writes, one run at a time
per session (on every node), cancel from anywhere, and the history keeps what ran."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid

import pytest

from server.app import create_app
from tests.conftest import bearer, create_room, expect_error, join
from tests.peers import eventually
from tests.runs_helpers import RunPeer, get_run, start_run

SLEEPER = "import time\nprint('started', flush=True)\ntime.sleep(60)\n"


@pytest.fixture
async def app_client(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings))
    peers: list[RunPeer] = []

    async def peer(token: str, on=None) -> RunPeer:
        made = RunPeer()
        peers.append(made)
        await made.connect(str((on or client).make_url("/")), token)
        return made

    client.peer = peer
    yield client
    for made in peers:
        await made.disconnect()


def runs_path(session_id: str, suffix: str = "") -> str:
    return f"/api/v1/sessions/{session_id}/runs{suffix}"


async def test_the_room_sees_a_run_from_start_to_finish(app_client):
    code = "print('hi')\n"
    room = await create_room(app_client, code=code, language="python")
    who, candidate_token = await join(app_client, room, room.candidate_invite)
    watcher = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, candidate_token)
    finished = await watcher.wait_finished(run["id"])
    started = watcher.of_run("run_started", run["id"])[0]
    assert started == {"runId": run["id"], "sessionId": room.id, "language": "python",
                       "by": who["id"], "timestamp": started["timestamp"]}  # fmt: skip
    assert watcher.output(run["id"]) == "hi\n"
    assert finished == {"runId": run["id"], "exitCode": 0, "signal": None,
                        "durationMs": finished["durationMs"], "timedOut": False,
                        "memoryExceeded": False, "outputTruncated": False,
                        "cancelled": False, "stage": "run", "reason": "exit",
                        "limit": None}  # fmt: skip
    assert run["by"] == who["id"] and run["sessionId"] == room.id
    assert run["codeHash"] == hashlib.sha256(code.encode()).hexdigest()


async def test_output_streams_before_the_program_ends(app_client):
    code = (
        "import time\nfor i in range(3):\n    print(i, flush=True)\n"
        "print('before', flush=True)\ntime.sleep(0.5)\nprint('after')\n"
    )
    room = await create_room(app_client, code=code, language="python")
    peer = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, room.token)
    await peer.wait_finished(run["id"])
    names = [name for name, data in peer.arrivals if data["runId"] == run["id"]]
    assert names[0] == "run_started" and names[-1] == "run_finished"
    chunks = peer.of_run("run_output", run["id"])
    assert [chunk["seq"] for chunk in chunks] == list(range(len(chunks)))
    # The sleep separates two flushes: "before" was sent on its own, ahead of "after".
    before = next(i for i, chunk in enumerate(chunks) if "before" in chunk["data"])
    assert "after" not in chunks[before]["data"]
    assert peer.output(run["id"]) == "0\n1\n2\nbefore\nafter\n"


async def test_a_print_loop_is_coalesced(app_client):
    room = await create_room(
        app_client, code="for i in range(20000): print(i)\n", language="python"
    )
    peer = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, room.token)
    await peer.wait_finished(run["id"])
    assert peer.output(run["id"]) == "".join(f"{i}\n" for i in range(20000))
    assert len(peer.of_run("run_output", run["id"])) < 200


async def test_invalid_utf8_and_nul_bytes_are_delivered_and_kept(app_client):
    code = (
        "import sys\nsys.stdout.buffer.write(b'a\\x00b\\xff\\xfec\\xe2\\x82')\n"
        "sys.stdout.buffer.flush()\nsys.stdout.buffer.write(b'\\xac!\\n')\n"
    )
    room = await create_room(app_client, code=code, language="python")
    peer = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, room.token)
    await peer.wait_finished(run["id"])
    expected = "a\x00b\ufffd\ufffdc€!\n"  # the euro sign split across two writes stays whole
    assert peer.output(run["id"]) == expected
    stored = await get_run(app_client, room.id, room.token, run["id"])
    assert "".join(chunk["data"] for chunk in stored["output"]) == expected


async def test_body_overrides_the_document(app_client):
    room = await create_room(app_client, code="print('document')", language="python")
    peer = await app_client.peer(room.token)
    run = await start_run(
        app_client, room.id, room.token, code="console.log(6 * 7)", language="javascript"
    )
    assert run["language"] == "javascript"
    await peer.wait_finished(run["id"])
    assert peer.output(run["id"]) == "42\n"


async def test_the_document_as_edited_live_is_what_runs(app_client):
    room = await create_room(app_client, code="print('old')", language="python")
    editor = await app_client.peer(room.token)
    await eventually(lambda: editor.code == "print('old')")
    await editor.emit("code_change", {"code": "print('new')"})

    # The REST read goes through the same document the run takes its code from.
    async def current() -> str:
        response = await app_client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
        return (await response.json())["data"]["code"]

    for _ in range(200):
        if await current() == "print('new')":
            break
        await asyncio.sleep(0.02)
    run = await start_run(app_client, room.id, room.token)
    await editor.wait_finished(run["id"])
    assert editor.output(run["id"]) == "new\n"


async def test_a_runtime_error_is_a_result_not_a_server_error(app_client):
    room = await create_room(app_client, code="print('x')\n1 / 0\n", language="python")
    peer = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, room.token)
    finished = await peer.wait_finished(run["id"])
    assert finished["exitCode"] == 1 and "ZeroDivisionError" in peer.output(run["id"], "stderr")


# -- one at a time, and cancelling ------------------------------------------------------------


async def test_one_run_at_a_time_and_cancel_over_rest(app_client):
    room = await create_room(app_client, code=SLEEPER, language="python")
    peer = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, room.token)
    await eventually(lambda: "started" in peer.output(run["id"]), 20, "the sleeper to start")
    second = await app_client.post(runs_path(room.id), headers=bearer(room.token))
    body = await expect_error(second, 409, "RUN_IN_PROGRESS")
    assert run["id"] in body["error"]

    cancel = await app_client.post(
        runs_path(room.id, f"/{run['id']}/cancel"), headers=bearer(room.token)
    )
    assert cancel.status == 202, await cancel.text()
    finished = await peer.wait_finished(run["id"])
    assert finished["cancelled"] is True and finished["exitCode"] != 0
    stored = await get_run(app_client, room.id, room.token, run["id"])
    assert stored["status"] == "finished" and stored["cancelled"] is True
    assert stored["output"] == [{"stream": "stdout", "data": "started\n"}]

    # The lock is free again; cancelling a finished run changes nothing.
    again = await start_run(app_client, room.id, room.token, code="print(1)")
    await peer.wait_finished(again["id"])
    late = await app_client.post(
        runs_path(room.id, f"/{run['id']}/cancel"), headers=bearer(room.token)
    )
    assert late.status == 200 and (await late.json())["data"]["cancelled"] is True


async def test_run_and_cancel_events(app_client):
    room = await create_room(app_client, code=SLEEPER, language="python")
    who, candidate_token = await join(app_client, room, room.candidate_invite)
    candidate = await app_client.peer(candidate_token)
    interviewer = await app_client.peer(room.token)
    await candidate.emit("run", {"stdin": ""})
    await eventually(lambda: interviewer.events["run_started"], what="run_started")
    started = interviewer.events["run_started"][0]
    assert started["by"] == who["id"]
    await interviewer.emit("run", {})
    await eventually(lambda: interviewer.events["error"], what="the 409 as an error event")
    assert interviewer.events["error"][0]["code"] == "RUN_IN_PROGRESS"
    assert interviewer.events["error"][0]["event"] == "run"
    await interviewer.emit("run_cancel", {"runId": started["runId"]})
    finished = await candidate.wait_finished(started["runId"])
    assert finished["cancelled"] is True

    # Without runId, run_cancel stops whatever runs.
    await candidate.emit("run", {"code": SLEEPER})
    await eventually(lambda: len(candidate.events["run_started"]) == 2)
    second = candidate.events["run_started"][1]["runId"]
    await candidate.emit("run_cancel", {})
    assert (await interviewer.wait_finished(second))["cancelled"] is True
    await candidate.emit("run_cancel", {})
    await eventually(lambda: candidate.events["error"], what="nothing to cancel")
    assert candidate.events["error"][0]["code"] == "RUN_NOT_FOUND"


async def test_bad_run_events_answer_error_events(app_client):
    room = await create_room(app_client, code="print(1)", language="python")
    peer = await app_client.peer(room.token)
    for event, data in [("run", {"stdin": 5}), ("run", {"nope": 1}), ("run", {"language": "html"}),
                        ("run", {"language": "cobol"}), ("run", "text"),
                        ("run_cancel", {"runId": "not-a-uuid"})]:  # fmt: skip
        await peer.emit(event, data)
    await eventually(lambda: len(peer.events["error"]) == 6, what="six refusals")
    assert {error["code"] for error in peer.events["error"]} == {"INVALID_MESSAGE"}
    assert not peer.events["run_started"]


async def test_a_second_node_shares_the_lock_and_cancels(aiohttp_client, settings, app_client):
    other = await aiohttp_client(create_app(settings))
    room = await create_room(app_client, code=SLEEPER, language="python")
    peer_here = await app_client.peer(room.token)
    peer_there = await app_client.peer(room.token, on=other)
    run = await start_run(app_client, room.id, room.token)
    await eventually(lambda: "started" in peer_there.output(run["id"]), 20, "output on node 2")
    refused = await other.post(runs_path(room.id), headers=bearer(room.token))
    await expect_error(refused, 409, "RUN_IN_PROGRESS")
    cancel = await other.post(
        runs_path(room.id, f"/{run['id']}/cancel"), headers=bearer(room.token)
    )
    assert cancel.status == 202
    assert (await peer_here.wait_finished(run["id"]))["cancelled"] is True
    assert (await peer_there.wait_finished(run["id"]))["cancelled"] is True


async def test_the_output_so_far_of_a_running_run_is_read_on_any_node(
    aiohttp_client, settings, app_client
):
    other = await aiohttp_client(create_app(settings))
    code = "import sys, time\nprint('one', flush=True)\nprint('two', file=sys.stderr, flush=True)\n"
    code += "time.sleep(0.3)\nprint('three', flush=True)\ntime.sleep(60)\n"
    room = await create_room(app_client, code=code, language="python")
    watcher = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, room.token)
    await eventually(lambda: "three\n" in watcher.output(run["id"]), 20, "three printed")

    async def seen_there() -> dict:
        return await get_run(other, room.id, room.token, run["id"])

    await eventually_async(
        lambda: _seq_reached(seen_there, len(watcher.of_run("run_output", run["id"]))), 10
    )
    there = await seen_there()
    assert there["status"] == "running"
    assert there["output"] == [
        {"stream": "stdout", "data": "one\n"},
        {"stream": "stderr", "data": "two\n"},
        {"stream": "stdout", "data": "three\n"},
    ]
    # The live events go on from outputSeq: the two sources join without a gap or overlap.
    assert there["outputSeq"] == len(watcher.of_run("run_output", run["id"]))
    await app_client.post(runs_path(room.id, f"/{run['id']}/cancel"), headers=bearer(room.token))
    await watcher.wait_finished(run["id"])
    recorded = await get_run(other, room.id, room.token, run["id"])
    assert recorded["status"] == "finished" and "outputSeq" not in recorded
    assert [chunk["data"] for chunk in recorded["output"]] == ["one\n", "two\n", "three\n"]


async def _seq_reached(fetch, wanted: int) -> bool:
    return (await fetch())["outputSeq"] >= wanted


async def eventually_async(check, within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the output never reached Redis"
        await asyncio.sleep(0.05)


async def test_shutdown_cancels_and_records_running_runs(aiohttp_client, settings, db):
    client = await aiohttp_client(create_app(settings))
    room = await create_room(client, code=SLEEPER, language="python")
    run = await start_run(client, room.id, room.token)
    await asyncio.sleep(0.3)
    await client.close()
    row = await db.fetchrow(
        "SELECT status, cancelled FROM runs WHERE id = $1", uuid.UUID(run["id"])
    )
    assert row["status"] == "finished" and row["cancelled"] is True


# -- history --------------------------------------------------------------------------------


async def test_history_newest_first_paginated_and_read_by_a_late_joiner(app_client):
    room = await create_room(app_client, code="print('zero')", language="python")
    peer = await app_client.peer(room.token)
    made = []
    for i in range(3):
        run = await start_run(app_client, room.id, room.token, code=f"print({i})")
        await peer.wait_finished(run["id"])
        made.append(run)

    _, late_token = await join(app_client, room, room.candidate_invite)
    first = await app_client.get(runs_path(room.id, "?limit=2"), headers=bearer(late_token))
    page = await first.json()
    assert first.status == 200 and page["success"] is True
    assert [run["id"] for run in page["data"]] == [made[2]["id"], made[1]["id"]]
    assert page["data"][0]["output"] == [{"stream": "stdout", "data": "2\n"}]
    assert page["data"][0]["exitCode"] == 0 and page["data"][0]["by"] == room.creator["id"]
    assert page["data"][0]["codeHash"] == hashlib.sha256(b"print(2)").hexdigest()
    assert page["data"][0]["finishedAt"] >= page["data"][0]["startedAt"]
    rest = await app_client.get(
        runs_path(room.id, f"?limit=2&cursor={page['nextCursor']}"), headers=bearer(late_token)
    )
    rest_page = await rest.json()
    assert [run["id"] for run in rest_page["data"]] == [made[0]["id"]]
    assert rest_page["nextCursor"] is None

    default = await (await app_client.get(runs_path(room.id), headers=bearer(late_token))).json()
    assert len(default["data"]) == 3
    single = await get_run(app_client, room.id, late_token, made[1]["id"])
    assert (
        single["output"] == [{"stream": "stdout", "data": "1\n"}] and single["language"] == "python"
    )


async def test_runs_go_with_their_session(app_client, db):
    room = await create_room(app_client, code="print(1)", language="python")
    peer = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, room.token)
    await peer.wait_finished(run["id"])
    deleted = await app_client.delete(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    assert deleted.status == 204
    assert await db.fetchval("SELECT count(*) FROM runs WHERE session_id = $1", room.id) == 0


# -- who may, and bad input ------------------------------------------------------------------


async def test_permissions(app_client, db):
    room = await create_room(app_client, code="print(1)", language="python")
    other = await create_room(app_client)
    peer = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, room.token)
    await peer.wait_finished(run["id"])
    calls = [("post", runs_path(room.id)), ("get", runs_path(room.id)),
             ("get", runs_path(room.id, f"/{run['id']}")),
             ("post", runs_path(room.id, f"/{run['id']}/cancel"))]  # fmt: skip
    for method, path in calls:
        await expect_error(await app_client.request(method, path, headers=bearer(other.token)),
                           403, "FORBIDDEN")  # fmt: skip
        await expect_error(await app_client.request(method, path), 401, "UNAUTHORIZED")
        await expect_error(
            await app_client.request(method, path, headers=bearer("dp_" + "0" * 43)),
            401, "UNAUTHORIZED",
        )  # fmt: skip
        await expect_error(
            await app_client.request(method, path, headers=bearer(room.candidate_invite)),
            401, "UNAUTHORIZED",
        )  # fmt: skip
    await expect_error(
        await app_client.get(runs_path(other.id, f"/{run['id']}"), headers=bearer(other.token)),
        404, "RUN_NOT_FOUND",
    )  # fmt: skip
    missing = runs_path(room.id, f"/{uuid.uuid4()}")
    await expect_error(
        await app_client.get(missing, headers=bearer(room.token)), 404, "RUN_NOT_FOUND"
    )
    await expect_error(
        await app_client.post(missing + "/cancel", headers=bearer(room.token)), 404, "RUN_NOT_FOUND"
    )
    await expect_error(await app_client.post(runs_path("abcdef99"), headers=bearer(room.token)),
                       404, "SESSION_NOT_FOUND")  # fmt: skip
    await db.execute("UPDATE sessions SET expires_at = 1 WHERE id = $1", room.id)
    for method, path in calls:
        await expect_error(
            await app_client.request(method, path, headers=bearer(room.token)),
            410,
            "SESSION_EXPIRED",
        )


async def test_bad_requests(aiohttp_client, settings):
    roomy = settings.model_copy(update={"max_code_bytes": 256 * 1024})
    client = await aiohttp_client(create_app(roomy))
    room = await create_room(client, code="print(1)", language="python")
    path, auth = runs_path(room.id), bearer(room.token)

    async def post(**kwargs):
        return await client.post(path, headers={**auth, **kwargs.pop("headers", {})}, **kwargs)

    cases = [
        ({"json": {"nope": 1}}, 400, "unknown field 'nope'"),
        ({"json": {"stdin": None}}, 400, "must not be null"),
        ({"json": {"stdin": 5}}, 400, "stdin"),
        ({"json": [1]}, 400, "JSON object"),
        ({"data": b"{", "headers": {"Content-Type": "application/json"}}, 400, "Malformed"),
        ({"data": b"x", "headers": {"Content-Type": "text/plain"}}, 415, "application/json"),
        ({"json": {"language": "cobol"}}, 400, "allowed: python"),
        ({"json": {"language": "html"}}, 400, "html is not runnable"),
        ({"json": {"code": "a\x00b"}}, 400, "NUL"),
        ({"json": {"code": "x" * (256 * 1024 + 1)}}, 413, "code is"),
        ({"json": {"stdin": "x" * (1024 * 1024 + 1)}}, 413, "stdin is"),
    ]
    for kwargs, status, fragment in cases:
        code = {400: "INVALID_REQUEST", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE"}
        body = await expect_error(await post(**kwargs), status, code[status])
        assert fragment in body["error"], (kwargs, body)

    for query in ("limit=0", "limit=101", "limit=x", "cursor=abc", "cursor=-1"):
        await expect_error(
            await client.get(f"{path}?{query}", headers=auth), 400, "INVALID_REQUEST"
        )
    await expect_error(await client.get(f"{path}/not-a-uuid", headers=auth), 400, "INVALID_REQUEST")
    await expect_error(
        await client.post(f"{path}/not-a-uuid/cancel", headers=auth), 400, "INVALID_REQUEST"
    )
    await expect_error(await client.post(runs_path("XYZ"), headers=auth), 400, "INVALID_REQUEST")


async def test_a_language_missing_here_is_refused(app_client, monkeypatch):
    from runner.languages import LanguageInfo, detect_languages

    real = await detect_languages()

    async def without_ruby(refresh: bool = False):
        return [info.model_copy(update={"available": info.name != "ruby"}) for info in real]

    monkeypatch.setattr("runner.languages.detect_languages", without_ruby)
    assert isinstance(real[0], LanguageInfo)
    room = await create_room(app_client, code="puts 1", language="ruby")
    response = await app_client.post(runs_path(room.id), headers=bearer(room.token))
    body = await expect_error(response, 400, "INVALID_REQUEST")
    assert "ruby is not available on this server" in body["error"]


async def test_the_seed_websocket_receives_run_events(app_client):
    room = await create_room(app_client, code="print('ws')", language="python")
    ws = await app_client.ws_connect(f"/ws/sessions/{room.id}?token={room.token}")
    run = await start_run(app_client, room.id, room.token)
    seen: list[str] = []
    output = ""
    async with asyncio.timeout(20):
        while "run_finished" not in seen:
            message = json.loads((await ws.receive()).data)
            if message["type"].startswith("run_"):
                assert message["data"]["runId"] == run["id"]
                seen.append(message["type"])
                output += message["data"].get("data", "")
    await ws.close()
    assert seen[0] == "run_started" and "run_output" in seen and output == "ws\n"
