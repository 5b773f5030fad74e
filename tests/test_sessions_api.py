"""The session API in the seed's shapes: create, read, update, save code, join, delete."""

from __future__ import annotations

import re

from schema.models import CreatedSessionEnvelope, JoinedSessionEnvelope, SessionEnvelope
from tests.conftest import bearer, create_room, expect_error, join, user


async def test_create_returns_the_seed_session_with_tokens_and_invite_links(client):
    creator = user("John Doe")
    response = await client.post(
        "/api/v1/sessions",
        json={
            "creator": creator,
            "code": "console.log('Hello, World!');",
            "language": "javascript",
        },
    )
    assert response.status == 201
    body = await response.json()
    CreatedSessionEnvelope.model_validate(body)
    data = body["data"]
    assert body["success"] is True
    assert re.fullmatch(r"[0-9a-f]{8}", data["id"])
    assert data["code"] == "console.log('Hello, World!');"
    assert data["language"] == "javascript"
    assert data["creatorId"] == creator["id"]
    assert data["createdAt"] == data["updatedAt"]
    assert data["expiresAt"] == data["createdAt"] + 86_400_000
    [participant] = data["participants"]
    assert participant == {
        "id": creator["id"], "name": "John Doe", "role": "interviewer",
        "color": creator["color"], "joinedAt": data["createdAt"], "isOnline": True,
    }  # fmt: skip
    assert body["token"].startswith("dp_") and len(body["token"]) >= 40
    for role in ("interviewer", "candidate"):
        invite = body["invites"][role]
        assert invite["token"].startswith("di_")
        assert invite["url"] == f"http://duet.test/s/{data['id']}?invite={invite['token']}"
    tokens = {body["token"], *(body["invites"][r]["token"] for r in ("interviewer", "candidate"))}
    assert len(tokens) == 3


async def test_create_defaults_to_empty_javascript(client):
    room = await create_room(client)
    assert room.body["data"]["code"] == ""
    assert room.body["data"]["language"] == "javascript"
    assert room.body["data"]["title"] == ""


async def test_get_returns_the_session(client):
    room = await create_room(client, code="print(1)", language="python", title="Pairing")
    response = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    assert response.status == 200
    body = await response.json()
    SessionEnvelope.model_validate(body)
    assert body["data"] == room.body["data"]


async def test_patch_updates_code_and_language_and_bumps_updated_at(client):
    room = await create_room(client)
    response = await client.patch(
        f"/api/v1/sessions/{room.id}",
        json={"code": "print('hi')", "language": "python"},
        headers=bearer(room.token),
    )
    assert response.status == 200
    data = (await response.json())["data"]
    assert (data["code"], data["language"]) == ("print('hi')", "python")
    assert data["updatedAt"] >= room.body["data"]["updatedAt"]
    assert data["createdAt"] == room.body["data"]["createdAt"]
    again = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    assert (await again.json())["data"]["code"] == "print('hi')"


async def test_patch_only_language_keeps_code(client):
    room = await create_room(client, code="x = 1")
    response = await client.patch(
        f"/api/v1/sessions/{room.id}", json={"language": "html"}, headers=bearer(room.token)
    )
    data = (await response.json())["data"]
    assert data["code"] == "x = 1" and data["language"] == "html"


async def test_put_code_saves_a_snapshot(client):
    room = await create_room(client)
    code = "def hello():\n    print('Hello, World!')  # ünïcödé 😀"
    response = await client.put(
        f"/api/v1/sessions/{room.id}/code",
        json={"code": code, "language": "python"},
        headers=bearer(room.token),
    )
    assert response.status == 200
    data = (await response.json())["data"]
    SessionEnvelope.model_validate({"success": True, "data": data})
    assert data["code"] == code and data["language"] == "python"


async def test_put_code_without_language_keeps_language(client):
    room = await create_room(client, language="python")
    response = await client.put(
        f"/api/v1/sessions/{room.id}/code", json={"code": "1"}, headers=bearer(room.token)
    )
    assert (await response.json())["data"]["language"] == "python"


async def test_delete_removes_the_session(client):
    room = await create_room(client)
    response = await client.delete(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    assert response.status == 204
    assert await response.read() == b""
    gone = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    await expect_error(gone, 404, "SESSION_NOT_FOUND")


async def test_unknown_session_is_404(client):
    room = await create_room(client)
    response = await client.get("/api/v1/sessions/00000000", headers=bearer(room.token))
    await expect_error(response, 404, "SESSION_NOT_FOUND")


async def test_join_adds_a_candidate_and_returns_its_token(client):
    room = await create_room(client)
    jane = user("Jane Smith", "hsl(120, 70%, 50%)")
    response = await client.post(
        f"/api/v1/sessions/{room.id}/join",
        json={"user": jane},
        headers=bearer(room.candidate_invite),
    )
    assert response.status == 200
    body = await response.json()
    JoinedSessionEnvelope.model_validate(body)
    assert body["token"].startswith("dp_")
    ids = [p["id"] for p in body["data"]["participants"]]
    assert ids == [room.creator["id"], jane["id"]]
    joined = body["data"]["participants"][1]
    assert joined["role"] == "candidate" and joined["isOnline"] is True
    assert joined["name"] == "Jane Smith" and joined["color"] == "hsl(120, 70%, 50%)"
    mine = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(body["token"]))
    assert mine.status == 200


async def test_join_with_interviewer_invite_makes_an_interviewer(client):
    room = await create_room(client)
    second, token = await join(client, room, room.interviewer_invite, user("Second"))
    response = await client.get(f"/api/v1/sessions/{room.id}/participants", headers=bearer(token))
    roles = {p["id"]: p["role"] for p in (await response.json())["participants"]}
    assert roles[second["id"]] == "interviewer"


async def test_title_is_kept_and_trimmed(client):
    room = await create_room(client, title="  Backend pairing  ")
    assert room.body["data"]["title"] == "Backend pairing"
