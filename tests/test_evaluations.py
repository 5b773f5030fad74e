"""Scorecards: interviewers (and the owner) write and read them; a candidate gets 403 and
never meets one in any answer or event; API tokens read them with sessions:read."""

from __future__ import annotations

import json

import pytest

from server.app import create_app
from tests.accounts_helpers import api_token, owned_session, register
from tests.conftest import bearer, create_room, expect_error, join
from tests.peers import JsonPeer, eventually

SCORE = {"rating": 2, "recommendation": "no", "text": "SECRET-VERDICT: struggled with recursion"}


def evaluations_path(session_id: str, suffix: str = "") -> str:
    return f"/api/v1/sessions/{session_id}/evaluations{suffix}"


async def test_interviewers_submit_replace_and_read(client):
    room = await create_room(client)
    _, second_interviewer = await join(client, room, room.interviewer_invite)
    first = await client.post(evaluations_path(room.id), json=SCORE, headers=bearer(room.token))
    assert first.status == 201
    created = (await first.json())["data"]
    assert created["authorId"] == room.creator["id"] and created["authorName"] == "Ivy Interviewer"
    replaced = await client.post(evaluations_path(room.id), json={**SCORE, "rating": 3},
                                 headers=bearer(room.token))  # fmt: skip
    assert replaced.status == 200
    assert (await replaced.json())["data"]["id"] == created["id"]
    await client.post(evaluations_path(room.id), json={"rating": 4, "recommendation": "yes"},
                      headers=bearer(second_interviewer))  # fmt: skip
    listing = await client.get(evaluations_path(room.id), headers=bearer(second_interviewer))
    scores = (await listing.json())["data"]
    assert [s["rating"] for s in scores] == [3, 4]
    one = await client.get(evaluations_path(room.id, f"/{created['id']}"),
                           headers=bearer(room.token))  # fmt: skip
    assert (await one.json())["data"]["text"] == SCORE["text"]


async def test_a_candidate_never_sees_an_evaluation(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings))
    room = await create_room(client)
    _, candidate_token = await join(client, room, room.candidate_invite)
    candidate = JsonPeer()
    await candidate.connect(str(client.make_url("/")), candidate_token)
    submitted = await client.post(evaluations_path(room.id), json=SCORE,
                                  headers=bearer(room.token))  # fmt: skip
    evaluation_id = (await submitted.json())["data"]["id"]

    headers = bearer(candidate_token)
    for method, suffix, body in (("POST", "", SCORE), ("GET", "", None),
                                 ("GET", f"/{evaluation_id}", None)):  # fmt: skip
        response = await client.request(method, evaluations_path(room.id, suffix), json=body,
                                        headers=headers)  # fmt: skip
        await expect_error(response, 403, "FORBIDDEN")
    seen = []
    for path in (f"/api/v1/sessions/{room.id}", f"/api/v1/sessions/{room.id}/participants",
                 f"/api/v1/sessions/{room.id}/runs"):  # fmt: skip
        response = await client.get(path, headers=headers)
        assert response.status == 200
        seen.append(await response.text())
    # A marker edit after the evaluation: every event before it has reached the candidate.
    await client.put(f"/api/v1/sessions/{room.id}/code", json={"code": "marker"},
                     headers=bearer(room.token))  # fmt: skip
    await eventually(lambda: any(e["code"] == "marker" for e in candidate.events["code_change"]))
    seen.append(json.dumps(candidate.events))
    for text in seen:
        assert "SECRET-VERDICT" not in text and evaluation_id not in text
    await candidate.disconnect()


async def test_the_owner_and_api_tokens(client):
    account = await register(client)
    session_id = (await owned_session(client, account.access))["data"]["id"]
    response = await client.post(evaluations_path(session_id), json=SCORE,
                                 headers=account.headers)  # fmt: skip
    assert response.status == 201
    assert (await response.json())["data"]["authorName"] == account.username
    reader = await api_token(client, account, "sessions:read", "sessions:write")
    listing = await client.get(evaluations_path(session_id), headers=bearer(reader))
    assert len((await listing.json())["data"]) == 1
    await expect_error(
        await client.post(evaluations_path(session_id), json=SCORE, headers=bearer(reader)),
        403, "FORBIDDEN",
    )  # fmt: skip
    writer_only = await api_token(client, account, "sessions:write")
    await expect_error(await client.get(evaluations_path(session_id),
                                        headers=bearer(writer_only)), 403, "FORBIDDEN")
    stranger = await register(client)
    await expect_error(await client.get(evaluations_path(session_id),
                                        headers=stranger.headers), 403, "FORBIDDEN")
    await expect_error(await client.get(evaluations_path(session_id)), 401, "UNAUTHORIZED")


async def test_scorecards_may_be_written_after_the_end(client):
    room = await create_room(client)
    await client.post(f"/api/v1/sessions/{room.id}/end", headers=bearer(room.token))
    response = await client.post(evaluations_path(room.id), json=SCORE, headers=bearer(room.token))
    assert response.status == 201


@pytest.mark.parametrize(
    "body",
    [{"rating": 0, "recommendation": "yes"}, {"rating": 5, "recommendation": "yes"},
     {"rating": "3", "recommendation": "yes"}, {"rating": 2.5, "recommendation": "yes"},
     {"rating": 3, "recommendation": "maybe"}, {"rating": 3},
     {"recommendation": "yes"}, {"rating": 3, "recommendation": "yes", "text": None},
     {"rating": 3, "recommendation": "yes", "text": "x" * 20_001},
     {"rating": 3, "recommendation": "yes", "text": "nul\x00"},
     {"rating": 3, "recommendation": "yes", "author": "someone"},
     {"rating": 3, "recommendation": "yes'; DROP TABLE evaluations;--"}],
)  # fmt: skip
async def test_bad_scorecards_are_400(client, body):
    room = await create_room(client)
    response = await client.post(evaluations_path(room.id), json=body, headers=bearer(room.token))
    await expect_error(response, 400, "INVALID_REQUEST")


async def test_unknown_and_malformed_ids(client):
    room = await create_room(client)
    headers = bearer(room.token)
    await expect_error(
        await client.get(evaluations_path(room.id, "/6f1c5a57-7d7c-4b53-9d9b-8d1e1a0f1e11"),
                         headers=headers), 404, "EVALUATION_NOT_FOUND",
    )  # fmt: skip
    await expect_error(await client.get(evaluations_path(room.id, "/nope"), headers=headers),
                       400, "INVALID_REQUEST")  # fmt: skip
    await expect_error(await client.get(evaluations_path("00000000"), headers=headers),
                       404, "SESSION_NOT_FOUND")  # fmt: skip
    other = await create_room(client)
    await expect_error(await client.get(evaluations_path(other.id), headers=headers),
                       403, "FORBIDDEN")  # fmt: skip
