"""Participants: listing, updating oneself or others, removing, and rejoining."""

from __future__ import annotations

import uuid

from schema.models import ParticipantEnvelope, ParticipantsEnvelope
from tests.conftest import bearer, create_room, expect_error, join, user


async def test_list_has_the_seed_key_and_the_envelope(client):
    room = await create_room(client)
    candidate, token = await join(client, room, room.candidate_invite)
    response = await client.get(f"/api/v1/sessions/{room.id}/participants", headers=bearer(token))
    assert response.status == 200
    body = await response.json()
    ParticipantsEnvelope.model_validate(body)
    assert body["participants"] == body["data"]["participants"]
    assert [p["id"] for p in body["participants"]] == [room.creator["id"], candidate["id"]]


async def test_candidate_updates_itself(client):
    room = await create_room(client)
    candidate, token = await join(client, room, room.candidate_invite)
    response = await client.patch(
        f"/api/v1/sessions/{room.id}/participants/{candidate['id']}",
        json={"isOnline": False, "name": "Cam C.", "color": "#ff8800"},
        headers=bearer(token),
    )
    assert response.status == 200
    body = await response.json()
    ParticipantEnvelope.model_validate(body)
    assert body["isOnline"] is False and body["data"]["isOnline"] is False
    assert body["name"] == "Cam C." and body["color"] == "#ff8800"
    assert body["role"] == "candidate"


async def test_interviewer_updates_a_candidate(client):
    room = await create_room(client)
    candidate, _ = await join(client, room, room.candidate_invite)
    response = await client.patch(
        f"/api/v1/sessions/{room.id}/participants/{candidate['id']}",
        json={"name": "Renamed"},
        headers=bearer(room.token),
    )
    assert (await response.json())["data"]["name"] == "Renamed"


async def test_candidate_cannot_update_someone_else(client):
    room = await create_room(client)
    _, token = await join(client, room, room.candidate_invite)
    response = await client.patch(
        f"/api/v1/sessions/{room.id}/participants/{room.creator['id']}",
        json={"name": "Hijacked"},
        headers=bearer(token),
    )
    await expect_error(response, 403, "FORBIDDEN")


async def test_interviewer_removes_a_candidate_whose_token_stops_working(client):
    room = await create_room(client)
    candidate, token = await join(client, room, room.candidate_invite)
    response = await client.delete(
        f"/api/v1/sessions/{room.id}/participants/{candidate['id']}", headers=bearer(room.token)
    )
    assert response.status == 204
    after = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(token))
    await expect_error(after, 401, "UNAUTHORIZED")
    listing = await client.get(
        f"/api/v1/sessions/{room.id}/participants", headers=bearer(room.token)
    )
    assert [p["id"] for p in (await listing.json())["participants"]] == [room.creator["id"]]


async def test_candidate_cannot_remove_others_but_can_leave(client):
    room = await create_room(client)
    candidate, token = await join(client, room, room.candidate_invite)
    other = await client.delete(
        f"/api/v1/sessions/{room.id}/participants/{room.creator['id']}", headers=bearer(token)
    )
    await expect_error(other, 403, "FORBIDDEN")
    leave = await client.delete(
        f"/api/v1/sessions/{room.id}/participants/{candidate['id']}", headers=bearer(token)
    )
    assert leave.status == 204


async def test_unknown_participant_is_404(client):
    room = await create_room(client)
    path = f"/api/v1/sessions/{room.id}/participants/{uuid.uuid4()}"
    await expect_error(
        await client.patch(path, json={"name": "x"}, headers=bearer(room.token)),
        404, "PARTICIPANT_NOT_FOUND",
    )  # fmt: skip
    await expect_error(
        await client.delete(path, headers=bearer(room.token)), 404, "PARTICIPANT_NOT_FOUND"
    )


async def test_malformed_participant_id_is_400(client):
    room = await create_room(client)
    response = await client.delete(
        f"/api/v1/sessions/{room.id}/participants/not-a-uuid", headers=bearer(room.token)
    )
    await expect_error(response, 400, "INVALID_REQUEST")


async def test_rejoin_with_the_same_user_id_returns_the_same_participant(client):
    room = await create_room(client)
    candidate, first_token = await join(client, room, room.candidate_invite)
    await client.patch(
        f"/api/v1/sessions/{room.id}/participants/{candidate['id']}",
        json={"isOnline": False},
        headers=bearer(first_token),
    )
    _, second_token = await join(client, room, room.candidate_invite, candidate)
    assert second_token != first_token
    listing = await client.get(
        f"/api/v1/sessions/{room.id}/participants", headers=bearer(second_token)
    )
    participants = (await listing.json())["participants"]
    assert [p["id"] for p in participants].count(candidate["id"]) == 1
    assert next(p for p in participants if p["id"] == candidate["id"])["isOnline"] is True
    # Both tokens keep working: one per browser the person used.
    for token in (first_token, second_token):
        ok = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(token))
        assert ok.status == 200


async def test_rejoin_with_own_participant_token(client):
    room = await create_room(client)
    candidate, token = await join(client, room, room.candidate_invite)
    response = await client.post(
        f"/api/v1/sessions/{room.id}/join", json={"user": candidate}, headers=bearer(token)
    )
    assert response.status == 200
    assert len((await response.json())["data"]["participants"]) == 2


async def test_participant_token_cannot_join_as_someone_else(client):
    room = await create_room(client)
    _, token = await join(client, room, room.candidate_invite)
    response = await client.post(
        f"/api/v1/sessions/{room.id}/join", json={"user": user("Other")}, headers=bearer(token)
    )
    await expect_error(response, 403, "FORBIDDEN")


async def test_candidate_invite_cannot_take_over_the_interviewers_id(client):
    room = await create_room(client)
    impostor = {**room.creator, "name": "Impostor"}
    response = await client.post(
        f"/api/v1/sessions/{room.id}/join",
        json={"user": impostor},
        headers=bearer(room.candidate_invite),
    )
    await expect_error(response, 403, "FORBIDDEN")
    listing = await client.get(
        f"/api/v1/sessions/{room.id}/participants", headers=bearer(room.token)
    )
    [creator] = (await listing.json())["participants"]
    assert creator["name"] == "Ivy Interviewer" and creator["role"] == "interviewer"
