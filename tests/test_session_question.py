"""A session's question: an interviewer pins one of the organization's questions at a
version; interviewers read it whole, a candidate without interviewer notes and with hidden
tests by name only; the room hears `question_changed`, which carries no test data."""

from __future__ import annotations

import json
import uuid

import pytest

from server.app import create_app
from server.state import POOL
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


async def test_a_session_starts_from_a_question_with_its_starter(client):
    owner = await register(client)
    made = await client.post("/api/v1/questions", json=TWO_SUM, headers=owner.headers)
    question = (await made.json())["data"]
    edited = {**TWO_SUM, "starters": {"python": "def solve(nums, target):\n    return 0, 1\n"}}
    await client.put(f"/api/v1/questions/{question['id']}", json=edited, headers=owner.headers)

    body = await owned_session(
        client, owner.access, questionId=question["id"], questionVersion=1, language="python"
    )
    session = body["data"]
    assert session["code"] == TWO_SUM["starters"]["python"] and session["title"] == "Two sum"
    interviewer = body["invites"]["interviewer"]["token"]
    room = Room(session["id"], {}, "", interviewer, body["invites"]["candidate"]["token"], body)
    _, token = await join(client, room, interviewer)
    pinned = await client.get(f"/api/v1/sessions/{session['id']}/question", headers=bearer(token))
    assert (await pinned.json())["data"]["version"] == 1
    # What the body says wins; a language without a starter opens blank.
    latest = await owned_session(
        client, owner.access, questionId=question["id"], language="python", title="Round 2"
    )
    assert latest["data"]["code"] == edited["starters"]["python"]
    assert latest["data"]["title"] == "Round 2"
    rust = await owned_session(client, owner.access, questionId=question["id"], language="rust")
    assert rust["data"]["code"] == ""


async def test_a_session_starts_from_a_template_and_counts_its_use(client):
    owner = await register(client)
    made = await client.post("/api/v1/templates", headers=owner.headers, json={
        "name": "py-pair", "display_name": "Python pairing", "language": "python",
        "files": {"helpers.py": "X = 1\n", "main.py": "print('from the template')\n"},
    })  # fmt: skip
    assert made.status == 201, await made.text()
    template = (await made.json())["data"]
    body = await owned_session(client, owner.access, templateId=template["id"])
    session = body["data"]
    assert session["language"] == "python" and session["title"] == "Python pairing"
    assert session["code"] == "print('from the template')\n"
    again = await client.get(f"/api/v1/templates/{template['id']}", headers=owner.headers)
    assert (await again.json())["data"]["usage_count"] == 1


async def test_what_starting_from_the_bank_refuses(client):
    owner = await register(client)
    stranger = await register(client)
    theirs = await client.post("/api/v1/questions", json=TWO_SUM, headers=stranger.headers)
    theirs_id = (await theirs.json())["data"]["id"]
    mine = await client.post("/api/v1/questions", json=TWO_SUM, headers=owner.headers)
    mine_id = (await mine.json())["data"]["id"]
    unknown = "00000000-0000-4000-8000-000000000000"
    sessions = "/api/v1/sessions"
    for body, status, code in (
        ({"questionId": theirs_id}, 404, "QUESTION_NOT_FOUND"),
        ({"questionId": mine_id, "questionVersion": 5}, 404, "QUESTION_NOT_FOUND"),
        ({"templateId": unknown}, 404, "TEMPLATE_NOT_FOUND"),
        ({"questionId": mine_id, "templateId": unknown}, 400, "INVALID_REQUEST"),
        ({"questionVersion": 1}, 400, "INVALID_REQUEST"),
        ({"questionId": "not-a-uuid"}, 400, "INVALID_REQUEST"),
        ({"questionId": mine_id, "questionVersion": 0}, 400, "INVALID_REQUEST"),
    ):
        await expect_error(
            await client.post(sessions, json=body, headers=owner.headers), status, code
        )
    # An anonymous creator has no bank.
    creator = {"id": unknown, "name": "Ann"}
    await expect_error(
        await client.post(sessions, json={"creator": creator, "questionId": mine_id}),
        400, "INVALID_REQUEST",
    )  # fmt: skip
    # Nothing was created by the refusals.
    count = await client.app[POOL].fetchval(
        "SELECT count(*) FROM sessions WHERE organization_id = $1",
        uuid.UUID(owner.organization_id),
    )
    assert count == 0
