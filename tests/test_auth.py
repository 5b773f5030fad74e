"""Accounts: register, login, refresh with rotation (reuse revokes the login), logout, me;
argon2id hashes; access tokens refused when forged, expired, tampered or revoked."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid

import jwt
import pytest

from server.app import create_app
from server.auth.passwords import Passwords
from server.state import JWT_KEY
from tests.accounts_helpers import PASSWORD, api_token, register
from tests.conftest import bearer, create_room, expect_error


async def test_register_returns_tokens_and_creates_an_organization(client, db):
    response = await client.post(
        "/api/v1/auth/register",
        json={"username": "Ada_Lovelace", "email": "Ada@Example.com", "password": PASSWORD,
              "organization": "Analytical Engines"},
    )  # fmt: skip
    assert response.status == 201
    body = await response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["data"]["access_token"] == body["access_token"]
    user = body["user"]
    assert user["username"] == "ada_lovelace" and user["email"] == "ada@example.com"
    assert user["role"] == "user" and user["organization"]["name"] == "Analytical Engines"
    stored = await db.fetchrow(
        "SELECT password_hash FROM users WHERE id = $1", uuid.UUID(user["id"])
    )
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in stored["password_hash"]
    me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert (await me.json())["data"]["id"] == user["id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "ab"),
        ("username", "x" * 51),
        ("username", "bad name"),
        ("username", "robert'); DROP TABLE users;--"),
        ("username", "ünïcode"),
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("email", "x" * 250 + "@example.com"),
        ("email", "a b@example.com"),
        ("password", "short"),
        ("password", "p" * 1025),
        ("password", "nul\x00password"),
        ("username", 12345),
        ("organization", "x" * 101),
        ("organization", "bell\x07"),
        ("organization", ""),
    ],
)
async def test_register_refuses_bad_fields(client, field, value):
    body = {"username": "valid_name", "email": "valid@example.com", "password": PASSWORD}
    body[field] = value
    response = await client.post("/api/v1/auth/register", json=body)
    error = await expect_error(response, 400, "INVALID_REQUEST")
    assert field in error["error"]


async def test_register_refuses_missing_and_unknown_fields(client):
    response = await client.post("/api/v1/auth/register", json={"username": "abc"})
    await expect_error(response, 400, "INVALID_REQUEST")
    response = await client.post(
        "/api/v1/auth/register",
        json={"username": "abc", "email": "a@example.com", "password": PASSWORD, "role": "admin"},
    )
    error = await expect_error(response, 400, "INVALID_REQUEST")
    assert "role" in error["error"]


async def test_usernames_and_emails_are_unique_regardless_of_case(client):
    account = await register(client)
    taken_name = {"username": account.username.upper(), "email": "other@example.com",
                  "password": PASSWORD}  # fmt: skip
    error = await expect_error(
        await client.post("/api/v1/auth/register", json=taken_name), 409, "CONFLICT"
    )
    assert "Username" in error["error"]
    taken_email = {"username": "someone_else", "email": account.email.upper(),
                   "password": PASSWORD}  # fmt: skip
    error = await expect_error(
        await client.post("/api/v1/auth/register", json=taken_email), 409, "CONFLICT"
    )
    assert "Email" in error["error"]


async def test_login_with_username_or_email(client):
    account = await register(client)
    for login in (account.username, account.email, account.username.upper()):
        response = await client.post(
            "/api/v1/auth/login", json={"username": login, "password": PASSWORD}
        )
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["user"]["id"] == account.user["id"]
        assert body["refresh_token"].startswith("dr_")


async def test_login_failures_say_only_invalid_credentials(client):
    account = await register(client)
    wrong = await client.post(
        "/api/v1/auth/login", json={"username": account.username, "password": "wrong password"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"username": "nobody_here", "password": PASSWORD}
    )
    for response in (wrong, unknown):
        error = await expect_error(response, 401, "UNAUTHORIZED")
        assert error["error"] == "Invalid credentials"
    injection = await client.post(
        "/api/v1/auth/login", json={"username": "' OR '1'='1", "password": "' OR '1'='1"}
    )
    await expect_error(injection, 401, "UNAUTHORIZED")
    await expect_error(await client.post("/api/v1/auth/login", json={}), 400, "INVALID_REQUEST")
    oversized = {"username": "x" * 300, "password": PASSWORD}
    await expect_error(
        await client.post("/api/v1/auth/login", json=oversized), 400, "INVALID_REQUEST"
    )


async def test_refresh_rotates_and_reuse_revokes_the_family(client):
    account = await register(client)
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh})
    assert first.status == 200
    rotated = await first.json()
    assert rotated["refresh_token"] != account.refresh
    assert (await client.get("/api/v1/auth/me", headers=bearer(rotated["access_token"]))).ok

    # The old refresh token again: a thief or a race. The whole login is revoked.
    reuse = await client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh})
    error = await expect_error(reuse, 401, "UNAUTHORIZED")
    assert "already used" in error["error"]
    newest = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    await expect_error(newest, 401, "UNAUTHORIZED")
    for access in (rotated["access_token"], account.access):
        await expect_error(
            await client.get("/api/v1/auth/me", headers=bearer(access)), 401, "UNAUTHORIZED"
        )


async def test_refresh_refuses_unknown_expired_and_malformed_tokens(client, db):
    await expect_error(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": "dr_unknown"}),
        401, "UNAUTHORIZED",
    )  # fmt: skip
    account = await register(client)
    await db.execute("UPDATE refresh_tokens SET expires_at = 1")
    await expect_error(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh}),
        401, "UNAUTHORIZED",
    )  # fmt: skip
    for body in ({}, {"refresh_token": ""}, {"refresh_token": 5}, {"refreshToken": "x"}):
        await expect_error(
            await client.post("/api/v1/auth/refresh", json=body), 400, "INVALID_REQUEST"
        )


async def test_logout_revokes_access_and_refresh_tokens(client):
    account = await register(client)
    other = await client.post(
        "/api/v1/auth/login", json={"username": account.username, "password": PASSWORD}
    )
    other_login = await other.json()
    response = await client.post("/api/v1/auth/logout", headers=account.headers)
    assert response.status == 200
    await expect_error(
        await client.get("/api/v1/auth/me", headers=account.headers), 401, "UNAUTHORIZED"
    )
    await expect_error(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh}),
        401, "UNAUTHORIZED",
    )  # fmt: skip
    # Another login of the same account is untouched.
    assert (await client.get("/api/v1/auth/me", headers=bearer(other_login["access_token"]))).ok
    await expect_error(await client.post("/api/v1/auth/logout"), 401, "UNAUTHORIZED")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _forgeries(access: str, key: bytes) -> dict[str, str]:
    header, payload, signature = access.split(".")
    claims = jwt.decode(access, key, algorithms=["HS256"])
    now = int(time.time())
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg None with signature": f"{_b64({'alg': 'None'})}.{payload}.{signature}",
        "HS512 with the same key": jwt.encode(claims, key, algorithm="HS512"),
        "HS384 with the same key": jwt.encode(claims, key, algorithm="HS384"),
        "another key": jwt.encode(claims, b"k" * 48, algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": now - 1, "iat": now - 901}, key, "HS256"),
        "tampered payload": f"{header}.{_b64({**claims, 'sub': str(uuid.uuid4())})}.{signature}",
        "tampered signature": f"{header}.{payload}.{signature[:-2]}AA",
        "missing sid": jwt.encode({k: v for k, v in claims.items() if k != "sid"}, key, "HS256"),
        "not an access token": jwt.encode({**claims, "typ": "refresh"}, key, "HS256"),
        "unknown user": jwt.encode({**claims, "sub": str(uuid.uuid4())}, key, "HS256"),
        "garbage sub": jwt.encode({**claims, "sub": "'; DROP TABLE users;--"}, key, "HS256"),
        "three dots of nothing": "..",
        "not base64": "a.b.c",
    }


async def test_forged_and_expired_access_tokens_are_refused(client):
    account = await register(client)
    key = client.app[JWT_KEY]
    for name, forged in _forgeries(account.access, key).items():
        response = await client.get("/api/v1/auth/me", headers=bearer(forged))
        error = await expect_error(response, 401, "UNAUTHORIZED")
        assert "Traceback" not in error["error"], name
    assert (await client.get("/api/v1/auth/me", headers=account.headers)).ok


async def test_me_refuses_session_tokens_and_api_tokens(client):
    room = await create_room(client)
    await expect_error(
        await client.get("/api/v1/auth/me", headers=bearer(room.token)), 401, "UNAUTHORIZED"
    )
    await expect_error(await client.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
    account = await register(client)
    token = await api_token(client, account, "sessions:read")
    await expect_error(
        await client.get("/api/v1/auth/me", headers=bearer(token)), 403, "FORBIDDEN"
    )


async def test_signing_key_is_generated_once_into_the_data_dir(aiohttp_client, settings):
    first = await aiohttp_client(create_app(settings))
    account = await register(first)
    key_file = settings.data_dir / "jwt-secret"
    assert key_file.stat().st_mode & 0o777 == 0o600
    second = await aiohttp_client(create_app(settings))
    assert (await second.get("/api/v1/auth/me", headers=account.headers)).ok


async def test_configured_signing_key_wins(aiohttp_client, settings):
    configured = settings.model_copy(update={"jwt_secret": "s" * 40})
    client = await aiohttp_client(create_app(configured))
    account = await register(client)
    jwt.decode(account.access, b"s" * 40, algorithms=["HS256"])
    assert not (configured.data_dir / "jwt-secret").exists()


def test_production_argon2_defaults_are_sane():
    from server.config import Settings

    defaults = Settings()
    assert defaults.argon2_memory_kib >= 19_456 and defaults.argon2_time_cost >= 2
    hashed = Passwords(Settings(argon2_memory_kib=64, argon2_time_cost=1)).__dict__
    assert hashed["_hasher"].type.name == "ID"


def test_a_short_configured_signing_key_is_refused_at_start():
    from pydantic import ValidationError

    from server.config import Settings

    with pytest.raises(ValidationError, match="jwt_secret"):
        Settings(jwt_secret="too-short")


async def test_concurrent_refreshes_of_one_token_never_both_succeed(client):
    account = await register(client)
    answers = await asyncio.gather(*(
        client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh})
        for _ in range(4)
    ))  # fmt: skip
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200, 401, 401, 401]
    # The losers presented a spent token: the whole login is revoked, the winner's too.
    winner = next(answer for answer in answers if answer.status == 200)
    await expect_error(
        await client.get("/api/v1/auth/me", headers=bearer((await winner.json())["access_token"])),
        401, "UNAUTHORIZED",
    )  # fmt: skip
