"""Interviewers' private notes: interviewers share a timestamped log per session; only its
author edits a note; a candidate can neither read them over REST nor receive their events,
on this node or another."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

from server.app import create_app
from tests.accounts_helpers import api_token, owned_session, register
from tests.conftest import bearer, create_room, expect_error, join, user
from tests.peers import JsonPeer, YjsPeer, eventually


def notes_url(session_id: str, note_id: str | None = None) -> str:
    base = f"/api/v1/sessions/{session_id}/notes"
    return base if note_id is None else f"{base}/{note_id}"


async def add(client, room, token: str, body: str) -> dict:
    response = await client.post(notes_url(room.id), json={"body": body}, headers=bearer(token))
    assert response.status == 201, await response.text()
    return (await response.json())["data"]


async def test_interviewers_share_notes_in_order_with_author_and_time(client):
    room = await create_room(client)
    second = user("Max Second")
    _, second_token = await join(client, room, room.interviewer_invite, second)
    first_note = await add(client, room, room.token, "Asked about hash maps")
    await add(client, room, second_token, "Good questions back")
    assert first_note["authorId"] == room.creator["id"]
    assert first_note["authorName"] == "Ivy Interviewer"
    assert first_note["createdAt"] == first_note["updatedAt"] > 0
    response = await client.get(notes_url(room.id), headers=bearer(second_token))
    listed = (await response.json())["data"]
    assert [note["body"] for note in listed] == ["Asked about hash maps", "Good questions back"]
    assert listed[1]["authorName"] == "Max Second"


async def test_a_candidate_can_neither_read_nor_write_notes(client):
    room = await create_room(client)
    note = await add(client, room, room.token, "secret assessment")
    _, candidate = await join(client, room, room.candidate_invite)
    await expect_error(await client.get(notes_url(room.id), headers=bearer(candidate)),
                       403, "FORBIDDEN")  # fmt: skip
    await expect_error(
        await client.post(notes_url(room.id), json={"body": "x"}, headers=bearer(candidate)),
        403, "FORBIDDEN",
    )  # fmt: skip
    await expect_error(
        await client.patch(notes_url(room.id, note["id"]), json={"body": "x"},
                           headers=bearer(candidate)),
        403, "FORBIDDEN",
    )  # fmt: skip
    await expect_error(
        await client.delete(notes_url(room.id, note["id"]), headers=bearer(candidate)),
        403, "FORBIDDEN",
    )  # fmt: skip
    # Nothing a candidate can read carries the note.
    for path in (f"/api/v1/sessions/{room.id}", f"/api/v1/sessions/{room.id}/participants",
                 f"/api/v1/sessions/{room.id}/runs"):  # fmt: skip
        text = await (await client.get(path, headers=bearer(candidate))).text()
        assert "secret assessment" not in text


async def test_only_the_author_edits_or_deletes_a_note(client):
    room = await create_room(client)
    _, other = await join(client, room, room.interviewer_invite, user("Other"))
    note = await add(client, room, room.token, "first draft")
    await expect_error(
        await client.patch(notes_url(room.id, note["id"]), json={"body": "mine now"},
                           headers=bearer(other)),
        403, "FORBIDDEN",
    )  # fmt: skip
    await expect_error(
        await client.delete(notes_url(room.id, note["id"]), headers=bearer(other)),
        403, "FORBIDDEN",
    )  # fmt: skip
    response = await client.patch(
        notes_url(room.id, note["id"]), json={"body": "second draft"}, headers=bearer(room.token)
    )
    edited = (await response.json())["data"]
    assert response.status == 200 and edited["body"] == "second draft"
    assert edited["updatedAt"] >= edited["createdAt"]
    response = await client.delete(notes_url(room.id, note["id"]), headers=bearer(room.token))
    assert response.status == 204
    listed = await client.get(notes_url(room.id), headers=bearer(room.token))
    assert (await listed.json())["data"] == []
    await expect_error(
        await client.delete(notes_url(room.id, note["id"]), headers=bearer(room.token)),
        404, "NOTE_NOT_FOUND",
    )  # fmt: skip


async def test_bad_note_requests_are_clear_errors(client):
    room = await create_room(client)
    headers = bearer(room.token)
    for body, field in (({}, "body"), ({"body": ""}, "body"), ({"body": 5}, "body"),
                        ({"body": "x" * 10_001}, "body"), ({"body": "a\x00b"}, "body"),
                        ({"body": "ok", "extra": 1}, "extra")):  # fmt: skip
        error = await expect_error(
            await client.post(notes_url(room.id), json=body, headers=headers),
            400, "INVALID_REQUEST",
        )  # fmt: skip
        assert field in error["error"]
    await expect_error(
        await client.post(notes_url(room.id), data="body=x", headers=headers), 415,
        "UNSUPPORTED_MEDIA_TYPE",
    )  # fmt: skip
    await expect_error(
        await client.patch(notes_url(room.id, "not-a-uuid"), json={"body": "x"}, headers=headers),
        400, "INVALID_REQUEST",
    )  # fmt: skip
    await expect_error(
        await client.patch(notes_url(room.id, str(uuid.uuid4())), json={"body": "x"},
                           headers=headers),
        404, "NOTE_NOT_FOUND",
    )  # fmt: skip
    await expect_error(await client.get(notes_url(room.id)), 401, "UNAUTHORIZED")
    await expect_error(await client.get(notes_url("ffffffff"), headers=headers),
                       404, "SESSION_NOT_FOUND")  # fmt: skip
    other = await create_room(client)
    await expect_error(await client.get(notes_url(other.id), headers=headers), 403, "FORBIDDEN")
    # Another session's note id is not found here, even for its own author.
    note = await add(client, other, other.token, "elsewhere")
    await expect_error(
        await client.delete(notes_url(room.id, note["id"]), headers=headers),
        404, "NOTE_NOT_FOUND",
    )  # fmt: skip


async def test_note_events_reach_interviewers_and_never_candidates_on_any_node(
    aiohttp_client, settings
):
    node_a = await aiohttp_client(create_app(settings))
    node_b = await aiohttp_client(create_app(settings))
    room = await create_room(node_a)
    _, candidate_token = await join(node_a, room, room.candidate_invite)
    _, interviewer_token = await join(node_a, room, room.interviewer_invite, user("Bo"))
    peers = {
        "interviewer_b": YjsPeer(), "candidate_a": YjsPeer(), "candidate_b": JsonPeer(),
        "interviewer_a": JsonPeer(),
    }  # fmt: skip
    await peers["interviewer_b"].connect(str(node_b.make_url("/")), interviewer_token)
    await peers["candidate_a"].connect(str(node_a.make_url("/")), candidate_token)
    await peers["candidate_b"].connect(str(node_b.make_url("/")), candidate_token)
    await peers["interviewer_a"].connect(str(node_a.make_url("/")), room.token)
    try:
        note = await add(node_a, room, room.token, "strong on complexity")
        for name in ("interviewer_a", "interviewer_b"):
            await eventually(lambda name=name: peers[name].events["note_added"], within=2,
                             what=f"note_added at {name}")  # fmt: skip
            assert peers[name].events["note_added"][0]["body"] == "strong on complexity"
        await node_a.delete(notes_url(room.id, note["id"]), headers=bearer(room.token))
        await eventually(lambda: peers["interviewer_b"].events["note_deleted"], within=2)
        # A run announced after the notes reaches the candidates, so had the note events
        # been sent to them they would have arrived first (events keep their order).
        await node_a.post(f"/api/v1/sessions/{room.id}/runs",
                          json={"code": "print(1)", "language": "python"},
                          headers=bearer(room.token))  # fmt: skip
        for name in ("candidate_a", "candidate_b"):
            await eventually(lambda name=name: peers[name].events["run_started"], within=5)
            assert not peers[name].events["note_added"]
            assert not peers[name].events["note_deleted"]
            assert all("strong on complexity" not in str(data)
                       for data in peers[name].events.values())  # fmt: skip
        await asyncio.sleep(0)
    finally:
        for peer in peers.values():
            await peer.disconnect()


async def test_the_owning_account_keeps_notes_under_its_username(client):
    account = await register(client)
    session = (await owned_session(client, account.access))["data"]
    response = await client.post(
        notes_url(session["id"]), json={"body": "from the owner"}, headers=bearer(account.access)
    )
    assert response.status == 201, await response.text()
    note = (await response.json())["data"]
    assert note["authorName"] == account.username
    response = await client.patch(
        notes_url(session["id"], note["id"]), json={"body": "edited"},
        headers=bearer(account.access),
    )  # fmt: skip
    assert (await response.json())["data"]["body"] == "edited"


async def test_api_tokens_read_notes_but_do_not_write_them(client):
    account = await register(client)
    token = await api_token(client, account, "sessions:read", "sessions:write")
    session = (await owned_session(client, account.access))["data"]
    await add(client, SimpleNamespace(id=session["id"]), account.access, "owner's note")
    listed = await client.get(notes_url(session["id"]), headers=bearer(token))
    assert [note["body"] for note in (await listed.json())["data"]] == ["owner's note"]
    await expect_error(
        await client.post(notes_url(session["id"]), json={"body": "x"}, headers=bearer(token)),
        403, "FORBIDDEN",
    )  # fmt: skip
