"""The interview timer (`/sessions/{id}/timer`): interviewers start, pause and reset it,
everyone reads it and hears `timer_changed`, and the time adds up across pauses."""

from __future__ import annotations

import asyncio

from tests.conftest import bearer, create_room, expect_error, join
from tests.peers import JsonPeer, eventually


def timer_path(session_id: str) -> str:
    return f"/api/v1/sessions/{session_id}/timer"


async def act(client, session_id: str, token: str, action: str) -> dict:
    response = await client.post(timer_path(session_id), json={"action": action},
                                 headers=bearer(token))  # fmt: skip
    assert response.status == 200, await response.text()
    return (await response.json())["data"]


async def read(client, session_id: str, token: str) -> dict:
    response = await client.get(timer_path(session_id), headers=bearer(token))
    assert response.status == 200, await response.text()
    return (await response.json())["data"]


async def test_a_new_interview_has_a_stopped_timer_at_zero(client):
    room = await create_room(client)
    timer = await read(client, room.id, room.token)
    assert timer["running"] is False and timer["elapsedMs"] == 0 and timer["startedAt"] is None
    assert timer["serverTime"] > 0


async def test_time_adds_up_across_a_pause_and_reset_goes_back_to_zero(client):
    room = await create_room(client)
    started = await act(client, room.id, room.token, "start")
    assert started["running"] is True and started["startedAt"] == started["serverTime"]
    # Starting a running clock does not restart it.
    again = await act(client, room.id, room.token, "start")
    assert again["startedAt"] == started["startedAt"]
    await asyncio.sleep(0.25)
    paused = await act(client, room.id, room.token, "pause")
    assert paused["running"] is False and paused["startedAt"] is None
    assert 250 <= paused["elapsedMs"] < 5_000
    await asyncio.sleep(0.2)
    # Paused, it does not move.
    assert (await read(client, room.id, room.token))["elapsedMs"] == paused["elapsedMs"]
    await act(client, room.id, room.token, "start")
    await asyncio.sleep(0.15)
    running = await read(client, room.id, room.token)
    assert running["running"] is True and running["elapsedMs"] >= paused["elapsedMs"] + 150
    reset = await act(client, room.id, room.token, "reset")
    assert reset == {**reset, "running": False, "elapsedMs": 0, "startedAt": None}


async def test_candidates_read_it_but_only_interviewers_change_it(client):
    room = await create_room(client)
    _, candidate = await join(client, room, room.candidate_invite)
    await act(client, room.id, room.token, "start")
    assert (await read(client, room.id, candidate))["running"] is True
    refused = await client.post(timer_path(room.id), json={"action": "pause"},
                                headers=bearer(candidate))  # fmt: skip
    body = await expect_error(refused, 403, "FORBIDDEN")
    assert "timer" in body["error"]
    assert (await read(client, room.id, room.token))["running"] is True


async def test_the_room_hears_every_change(client):
    room = await create_room(client)
    _, candidate = await join(client, room, room.candidate_invite)
    peer = JsonPeer()
    await peer.connect(str(client.make_url("/")), candidate)
    try:
        await act(client, room.id, room.token, "start")
        await act(client, room.id, room.token, "pause")
        await eventually(lambda: len(peer.events["timer_changed"]) == 2, what="timer_changed")
        started, paused = peer.events["timer_changed"]
        assert started["running"] is True and started["startedAt"] is not None
        assert paused["running"] is False and paused["elapsedMs"] >= 0
        assert set(paused) == {"running", "elapsedMs", "startedAt", "by", "timestamp"}
    finally:
        await peer.disconnect()


async def test_bad_actions_and_bodies_are_400s_naming_the_field(client):
    room = await create_room(client)
    for body in ({"action": "stop"}, {}, {"action": "start", "at": 5}, {"action": None}):
        response = await client.post(timer_path(room.id), json=body, headers=bearer(room.token))
        answer = await expect_error(response, 400, "INVALID_REQUEST")
        assert "action" in answer["error"] or "at" in answer["error"], answer
    await expect_error(await client.get(timer_path(room.id)), 401, "UNAUTHORIZED")
    await expect_error(
        await client.get(timer_path("ffffffff"), headers=bearer(room.token)), 404,
        "SESSION_NOT_FOUND",
    )  # fmt: skip


async def test_ending_the_interview_stops_the_clock_and_it_takes_no_changes(client):
    room = await create_room(client)
    await act(client, room.id, room.token, "start")
    await asyncio.sleep(0.1)
    ended = await client.post(f"/api/v1/sessions/{room.id}/end", headers=bearer(room.token))
    assert ended.status == 200, await ended.text()
    refused = await client.post(timer_path(room.id), json={"action": "reset"},
                                headers=bearer(room.token))  # fmt: skip
    await expect_error(refused, 409, "SESSION_ENDED")
    stopped = await read(client, room.id, room.token)
    assert stopped["running"] is False and stopped["elapsedMs"] >= 100
    await asyncio.sleep(0.1)
    assert (await read(client, room.id, room.token))["elapsedMs"] == stopped["elapsedMs"]
