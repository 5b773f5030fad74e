"""Ending an interview: editing and running stop for everyone, on every door; the final
code and runs stay readable to interviewers; the candidate's part is over."""

from __future__ import annotations

import pytest

from server.app import create_app
from tests.accounts_helpers import owned_session, refused_connect, register
from tests.conftest import bearer, create_room, expect_error, join, user
from tests.peers import JsonPeer, eventually
from tests.runs_helpers import start_run


@pytest.fixture
async def realtime(aiohttp_client, settings):
    return await aiohttp_client(create_app(settings))


async def test_an_interviewer_ends_and_everything_stops(realtime):
    room = await create_room(realtime, code="print('final')", language="python")
    _, candidate_token = await join(realtime, room, room.candidate_invite)
    run = await start_run(realtime, room.id, room.token)
    candidate = JsonPeer()
    await candidate.connect(str(realtime.make_url("/")), candidate_token)

    response = await realtime.post(f"/api/v1/sessions/{room.id}/end", headers=bearer(room.token))
    assert response.status == 200, await response.text()
    ended = (await response.json())["data"]
    assert ended["endedAt"] is not None and ended["code"] == "print('final')"
    await eventually(lambda: not candidate.sio.connected, what="candidate disconnected")

    path = f"/api/v1/sessions/{room.id}"
    for token in (room.token, candidate_token):
        for method, suffix, body in (
            ("PATCH", "", {"code": "changed"}), ("PUT", "/code", {"code": "changed"}),
            ("POST", "/runs", None),
        ):  # fmt: skip
            response = await realtime.request(method, path + suffix, json=body,
                                              headers=bearer(token))  # fmt: skip
            await expect_error(response, 409, "SESSION_ENDED")
        assert await refused_connect(realtime, token) == "SESSION_ENDED"

    # Interviewers keep the final code and the run history.
    read = await realtime.get(path, headers=bearer(room.token))
    assert (await read.json())["data"]["code"] == "print('final')"
    runs = await realtime.get(f"{path}/runs", headers=bearer(room.token))
    assert [r["id"] for r in (await runs.json())["data"]] == [run["id"]]
    one = await realtime.get(f"{path}/runs/{run['id']}", headers=bearer(room.token))
    assert one.status == 200
    # The candidate reads nothing more, and nobody joins.
    for suffix in ("", "/runs", "/participants"):
        await expect_error(
            await realtime.get(path + suffix, headers=bearer(candidate_token)), 409,
            "SESSION_ENDED",
        )  # fmt: skip
    restart = await realtime.post(f"{path}/runtime/restart", headers=bearer(room.token))
    await expect_error(restart, 409, "SESSION_ENDED")
    for invite in (room.candidate_invite, room.interviewer_invite):
        joined = await realtime.post(f"{path}/join", json={"user": user()}, headers=bearer(invite))
        await expect_error(joined, 409, "SESSION_ENDED")


async def test_ending_twice_is_harmless_and_only_interviewers_end(realtime):
    room = await create_room(realtime)
    _, candidate_token = await join(realtime, room, room.candidate_invite)
    path = f"/api/v1/sessions/{room.id}/end"
    await expect_error(
        await realtime.post(path, headers=bearer(candidate_token)), 403, "FORBIDDEN"
    )
    await expect_error(await realtime.post(path), 401, "UNAUTHORIZED")
    await expect_error(
        await realtime.post(path, headers=bearer(room.candidate_invite)), 401, "UNAUTHORIZED"
    )
    first = await (await realtime.post(path, headers=bearer(room.token))).json()
    second = await realtime.post(path, headers=bearer(room.token))
    assert second.status == 200
    assert (await second.json())["data"]["endedAt"] == first["data"]["endedAt"]
    await expect_error(
        await realtime.post("/api/v1/sessions/nothex!!/end", headers=bearer(room.token)),
        400, "INVALID_REQUEST",
    )  # fmt: skip
    await expect_error(
        await realtime.post("/api/v1/sessions/00000000/end", headers=bearer(room.token)),
        404, "SESSION_NOT_FOUND",
    )  # fmt: skip


async def test_the_owner_ends_its_session(realtime):
    account = await register(realtime)
    session_id = (await owned_session(realtime, account.access))["data"]["id"]
    response = await realtime.post(f"/api/v1/sessions/{session_id}/end", headers=account.headers)
    assert response.status == 200
    edit = await realtime.patch(
        f"/api/v1/sessions/{session_id}", json={"code": "x"}, headers=account.headers
    )
    await expect_error(edit, 409, "SESSION_ENDED")


async def test_plain_websocket_doors_refuse_an_ended_session(realtime):
    room = await create_room(realtime)
    await realtime.post(f"/api/v1/sessions/{room.id}/end", headers=bearer(room.token))
    for door in ("/yjs/", "/ws/sessions/"):
        response = await realtime.get(f"{door}{room.id}", params={"token": room.token})
        await expect_error(response, 409, "SESSION_ENDED")


async def test_a_run_event_after_the_end_is_refused(realtime, db):
    room = await create_room(realtime, language="python")
    peer = JsonPeer()
    await peer.connect(str(realtime.make_url("/")), room.token)
    # Ended behind the gateway's back (as by another process, before its close message):
    # the run is still refused where it is recorded.
    await db.execute("UPDATE sessions SET ended_at = 1 WHERE id = $1", room.id)
    await peer.emit("run", {})
    await eventually(lambda: peer.events["error"], what="error event")
    assert peer.events["error"][0]["code"] == "SESSION_ENDED"
    await peer.disconnect()
