"""The web app's pages over plain HTTP: the shell, the session page's status for missing and
expired sessions (readable without the script), and the bundle's assets."""

from __future__ import annotations

from schema.clock import now_ms
from server.state import POOL
from tests.conftest import create_room


async def test_home_and_a_live_session_serve_the_shell(client):
    room = await create_room(client)
    for path in ("/", f"/s/{room.id}", f"/s/{room.id}?invite={room.candidate_invite}"):
        response = await client.get(path)
        text = await response.text()
        assert response.status == 200, path
        assert response.content_type == "text/html"
        assert '<script type="module" src="/assets/app.js">' in text
        assert "data-problem" not in text
        assert response.headers["Cache-Control"] == "no-cache"
        # The invite never ends up in the page the server sends.
        assert room.candidate_invite not in text


async def test_missing_and_expired_sessions_say_so_before_any_script(client):
    for path in ("/s/ffffffff", "/s/NOTHEX12", "/s/abc"):
        response = await client.get(path)
        text = await response.text()
        assert response.status == 404, path
        assert 'data-problem="SESSION_NOT_FOUND"' in text and "Interview not found" in text
    room = await create_room(client)
    await client.app[POOL].execute(
        "UPDATE sessions SET expires_at = $2 WHERE id = $1", room.id, now_ms() - 1
    )
    response = await client.get(f"/s/{room.id}")
    assert response.status == 410
    assert "Interview expired" in await response.text()


async def test_assets_are_the_bundle_and_nothing_else(client):
    script = await client.get("/assets/app.js")
    assert script.status == 200
    assert script.content_type in ("application/javascript", "text/javascript")
    assert "ETag" in script.headers
    assert (await client.get("/assets/app.css")).status == 200
    gzipped = await client.get("/assets/app.js", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers.get("Content-Encoding") == "gzip"
    for name in ("nope.js", "..%2Fdocs.html", "%2e%2e%2f%2e%2e%2fpyproject.toml", "app.js.gz"):
        response = await client.get(f"/assets/{name}")
        assert response.status == 404, name


async def test_the_question_bank_pages_serve_the_shell(client):
    question_id = "6f1c2a3b-0000-4000-8000-123456789abc"
    for path in ("/questions", "/questions/new", f"/questions/{question_id}"):
        response = await client.get(path, headers={"Accept": "text/html"})
        assert response.status == 200, path
        text = await response.text()
        assert '<script type="module" src="/assets/app.js">' in text
        assert "data-problem" not in text
    response = await client.get("/questions/not-a-question", headers={"Accept": "text/html"})
    assert response.status == 404
    assert 'data-problem="PAGE_NOT_FOUND"' in await response.text()
