"""CORS follows DUET_CORS_ORIGINS (the test settings allow http://app.test)."""

from __future__ import annotations

from tests.conftest import user


async def test_preflight_from_an_allowed_origin(client):
    response = await client.options(
        "/api/v1/sessions",
        headers={"Origin": "http://app.test", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"},
    )  # fmt: skip
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://app.test"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]


async def test_simple_request_from_an_allowed_origin(client):
    response = await client.post(
        "/api/v1/sessions", json={"creator": user()}, headers={"Origin": "http://app.test"}
    )
    assert response.status == 201
    assert response.headers["Access-Control-Allow-Origin"] == "http://app.test"


async def test_other_origins_get_no_cors_headers(client):
    response = await client.get("/api/v1/health", headers={"Origin": "http://evil.test"})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = await client.options(
        "/api/v1/sessions",
        headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


async def socketio_handshake(client, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    response = await client.get("/socket.io/?EIO=4&transport=polling", headers=headers)
    return response.status


async def test_socketio_accepts_its_own_pages_configured_origins_and_non_browsers(client):
    own = f"http://{client.host}:{client.port}"
    assert await socketio_handshake(client, own) == 200
    assert await socketio_handshake(client, "http://app.test") == 200
    assert await socketio_handshake(client, "http://duet.test") == 200  # DUET_PUBLIC_URL
    assert await socketio_handshake(client, None) == 200
    assert await socketio_handshake(client, "http://evil.test") == 400
    assert await socketio_handshake(client, f"https://{client.host}:{client.port}") == 400
