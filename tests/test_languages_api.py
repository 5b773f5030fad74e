"""GET /api/v1/languages, and sessions accepting every language of the runner's table."""

from __future__ import annotations

from runner.languages import language_names
from tests.conftest import bearer, create_room, expect_error, user


async def test_every_language_with_its_version_and_availability(client):
    response = await client.get("/api/v1/languages")
    body = await response.json()
    assert response.status == 200 and body["success"] is True
    assert [info["name"] for info in body["data"]] == language_names()
    by_name = {info["name"]: info for info in body["data"]}
    python = by_name["python"]
    assert python["available"] is True and python["runnable"] is True
    assert python["version"] and python["version"][0].isdigit()
    assert by_name["html"]["runnable"] is False and by_name["html"]["version"] is None
    assert set(by_name["go"]) == {"name", "version", "available", "runnable"}


async def test_a_session_may_use_any_language_of_the_table(client):
    room = await create_room(client, language="rust")
    assert room.body["data"]["language"] == "rust"
    response = await client.patch(
        f"/api/v1/sessions/{room.id}", json={"language": "html"}, headers=bearer(room.token)
    )
    assert response.status == 200 and (await response.json())["data"]["language"] == "html"
    refused = await client.post("/api/v1/sessions", json={"creator": user(), "language": "cobol"})
    body = await expect_error(refused, 400, "INVALID_REQUEST")
    assert "Unknown language 'cobol'" in body["error"]
    assert ", ".join(language_names()) in body["error"]
