"""A session's question: an interviewer pins one of the organization's questions at a
version; interviewers read it whole, a candidate without interviewer notes and with hidden
tests by name only; the room hears `question_changed`, which carries no test data."""

from __future__ import annotations

import json

import pytest

from server.app import create_app
from tests.accounts_helpers import owned_session, register
from tests.conftest import Room, bearer, create_room, expect_error, join
from tests.peers import JsonPeer, eventually
from tests.test_questions import TWO_SUM


@pytest.fixture
async def client(aiohttp_client, settings):
    return await aiohttp_client(create_app(settings))


async def interview(client):
    """An account's session with an interviewer and a candidate in it, and a question."""
    owner = await register(client)
    body = await owned_session(client, owner.access, code="", language="python")
    session = body["data"]
    room = Room(session["id"], {}, "", body["invites"]["interviewer"]["token"],
                body["invites"]["candidate"]["token"], body)  # fmt: skip
    _, interviewer = await join(client, room, room.interviewer_invite)
    _, candidate = await join(client, room, room.candidate_invite)
    response = await client.post("/api/v1/questions", json=TWO_SUM, headers=owner.headers)
    assert response.status == 201, await response.text()
    return owner, session["id"], interviewer, candidate, (await response.json())["data"]


async def test_an_interviewer_sets_the_question_and_each_role_reads_its_view(client):
    owner, session_id, interviewer, candidate, question = await interview(client)
    path = f"/api/v1/sessions/{session_id}/question"
    await expect_error(await client.get(path, headers=bearer(candidate)), 404, "QUESTION_NOT_FOUND")
    watcher = JsonPeer()
    await watcher.connect(str(client.make_url("/")), candidate)
    try:
        response = await client.put(
            path, json={"questionId": question["id"]}, headers=bearer(interviewer)
        )
        assert response.status == 200, await response.text()
        assert (await response.json())["data"]["version"] == 1
        await eventually(lambda: watcher.events["question_changed"], what="question_changed")
        event = watcher.events["question_changed"][0]
        assert event["questionId"] == question["id"] and event["version"] == 1
        assert event["title"] == "Two sum"
        # The event names the question; its tests and notes are read by role.
        assert "large" not in json.dumps(event) and "O(n)" not in json.dumps(event)
    finally:
        await watcher.disconnect()

    whole = (await (await client.get(path, headers=bearer(interviewer))).json())["data"]
    assert whole["interviewerNotes"] == "Ask about the O(n) solution."
    assert whole["tests"][1]["stdin"] == "1 2\n3\n" and whole["tests"][1]["hidden"] is True
    assert (await (await client.get(path, headers=owner.headers)).json())["data"] == whole

    seen = await (await client.get(path, headers=bearer(candidate))).text()
    view = json.loads(seen)["data"]
    assert "interviewerNotes" not in view and "Ask about" not in seen
    assert view["promptHtml"] == whole["promptHtml"] and view["starters"] == whole["starters"]
    assert view["tests"] == [
        {"name": "example", "hidden": False, "weight": 1.0, "stdin": "2 7 11 15\n9\n",
         "expectedStdout": "0 1\n"},
        {"name": "large", "hidden": True, "weight": 2.0, "stdin": None, "expectedStdout": None},
    ]  # fmt: skip


async def test_the_session_keeps_its_version_when_the_question_changes(client):
    owner, session_id, interviewer, _, question = await interview(client)
    path = f"/api/v1/sessions/{session_id}/question"
    await client.put(path, json={"questionId": question["id"]}, headers=bearer(interviewer))
    edited = {**TWO_SUM, "title": "Two sum, again", "tests": TWO_SUM["tests"][:1]}
    response = await client.put(
        f"/api/v1/questions/{question['id']}", json=edited, headers=owner.headers
    )
    assert response.status == 200
    pinned = (await (await client.get(path, headers=bearer(interviewer))).json())["data"]
    assert pinned["version"] == 1 and pinned["latestVersion"] == 2
    assert pinned["title"] == "Two sum" and len(pinned["tests"]) == 2
    # Out of the bank, it is still the interview's question.
    await client.delete(f"/api/v1/questions/{question['id']}", headers=owner.headers)
    assert (await client.get(path, headers=bearer(interviewer))).status == 200
    # An interviewer may pin another version explicitly.
    other = await client.post("/api/v1/questions", json=edited, headers=owner.headers)
    other_id = (await other.json())["data"]["id"]
    response = await client.put(
        path, json={"questionId": other_id, "version": 1}, headers=bearer(interviewer)
    )
    assert (await response.json())["data"]["title"] == "Two sum, again"


async def test_who_may_set_the_question_and_what_is_refused(client):
    owner, session_id, interviewer, candidate, question = await interview(client)
    path = f"/api/v1/sessions/{session_id}/question"
    await expect_error(
        await client.put(path, json={"questionId": question["id"]}, headers=bearer(candidate)),
        403, "FORBIDDEN",
    )  # fmt: skip
    stranger = await register(client)
    theirs = await client.post("/api/v1/questions", json=TWO_SUM, headers=stranger.headers)
    theirs_id = (await theirs.json())["data"]["id"]
    await expect_error(
        await client.put(path, json={"questionId": theirs_id}, headers=bearer(interviewer)),
        404, "QUESTION_NOT_FOUND",
    )  # fmt: skip
    await expect_error(
        await client.put(
            path, json={"questionId": question["id"], "version": 9}, headers=bearer(interviewer)
        ),
        404, "QUESTION_NOT_FOUND",
    )  # fmt: skip
    for bad in ({}, {"questionId": "not-a-uuid"}, {"questionId": question["id"], "version": 0}):
        await expect_error(
            await client.put(path, json=bad, headers=bearer(interviewer)), 400, "INVALID_REQUEST"
        )
    # A session that belongs to no organization has no bank to pin from.
    anonymous = await create_room(client)
    await expect_error(
        await client.put(
            f"/api/v1/sessions/{anonymous.id}/question", json={"questionId": question["id"]},
            headers=bearer(anonymous.token),
        ),
        400, "INVALID_REQUEST",
    )  # fmt: skip
    # Once the interview ended, the question no longer changes.
    assert (
        await client.post(f"/api/v1/sessions/{session_id}/end", headers=owner.headers)
    ).status == 200
    await expect_error(
        await client.put(path, json={"questionId": question["id"]}, headers=owner.headers),
        409, "SESSION_ENDED",
    )  # fmt: skip
