"""Accounts in Postgres: registration (with the account's organization), logins and their
refresh-token families.

A login is a *family*: every refresh token it produces, and every access token issued with
them, names it. Refresh tokens rotate on every use; presenting one that was already used
means it leaked (or was raced), so the whole family is revoked and everyone holding any of
its tokens must sign in again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from schema.errors import ApiError, ErrorCode
from schema.models import User
from server.auth.secret_tokens import new_token, token_digest

USER_COLUMNS = (
    "u.id, u.username, u.email, u.role, u.created_at, u.updated_at, u.last_login_at,"
    " u.organization_id, o.name AS organization_name"
)


def user_from_row(row: asyncpg.Record) -> User:
    organization = {"id": row["organization_id"], "name": row["organization_name"]}
    return User.from_record(row, organization=organization)


@dataclass(frozen=True)
class LoginGrant:
    user: User
    user_id: uuid.UUID
    family_id: uuid.UUID
    refresh_token: str


async def fetch_user(connection: asyncpg.Connection | asyncpg.Pool, user_id: uuid.UUID) -> User:
    row = await connection.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users u JOIN organizations o ON o.id = u.organization_id"
        " WHERE u.id = $1",
        user_id,
    )
    if row is None:
        raise ApiError(ErrorCode.UNAUTHORIZED, "This account no longer exists")
    return user_from_row(row)


async def _start_family(
    connection: asyncpg.Connection, user_id: uuid.UUID, now: int, refresh_ttl_ms: int
) -> tuple[uuid.UUID, str]:
    family_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO login_families (id, user_id, created_at) VALUES ($1, $2, $3)",
        family_id,
        user_id,
        now,
    )
    return family_id, await _new_refresh_token(connection, family_id, now, refresh_ttl_ms)


async def _new_refresh_token(
    connection: asyncpg.Connection, family_id: uuid.UUID, now: int, refresh_ttl_ms: int
) -> str:
    token = new_token("refresh")
    await connection.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4)",
        token_digest(token),
        family_id,
        now,
        now + refresh_ttl_ms,
    )
    return token


async def register(
    pool: asyncpg.Pool,
    *,
    username: str,
    email: str,
    password_hash: str,
    organization_name: str,
    now: int,
    refresh_ttl_ms: int,
) -> LoginGrant:
    user_id, organization_id = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        taken = await connection.fetchrow(
            "SELECT lower(username) = lower($1) AS username_taken FROM users"
            " WHERE lower(username) = lower($1) OR lower(email) = lower($2) LIMIT 1",
            username,
            email,
        )
        if taken is not None:
            what = "Username" if taken["username_taken"] else "Email"
            raise ApiError(ErrorCode.CONFLICT, f"{what} already exists")
        await connection.execute(
            "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)",
            organization_id,
            organization_name,
            now,
        )
        try:
            await connection.execute(
                "INSERT INTO users (id, organization_id, username, email, password_hash,"
                " created_at, updated_at, last_login_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $6)",
                user_id,
                organization_id,
                username,
                email,
                password_hash,
                now,
            )
        except asyncpg.UniqueViolationError:
            # Two registrations raced past the check above.
            raise ApiError(ErrorCode.CONFLICT, "Username or email already exists") from None
        family_id, refresh = await _start_family(connection, user_id, now, refresh_ttl_ms)
        user = await fetch_user(connection, user_id)
    return LoginGrant(user, user_id, family_id, refresh)


async def password_hash_for(pool: asyncpg.Pool, login: str) -> tuple[uuid.UUID, str] | None:
    """The account a login name (username or email) names, and its stored hash."""
    row = await pool.fetchrow(
        "SELECT id, password_hash FROM users"
        " WHERE lower(username) = lower($1) OR lower(email) = lower($1) LIMIT 1",
        login,
    )
    return (row["id"], row["password_hash"]) if row else None


async def start_login(
    pool: asyncpg.Pool, user_id: uuid.UUID, now: int, refresh_ttl_ms: int
) -> LoginGrant:
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("UPDATE users SET last_login_at = $2 WHERE id = $1", user_id, now)
        family_id, refresh = await _start_family(connection, user_id, now, refresh_ttl_ms)
        user = await fetch_user(connection, user_id)
    return LoginGrant(user, user_id, family_id, refresh)


async def rotate_refresh_token(
    pool: asyncpg.Pool, token: str, now: int, refresh_ttl_ms: int
) -> LoginGrant:
    """Spend a refresh token for a new one in the same family; reuse revokes the family."""
    invalid = ApiError(ErrorCode.UNAUTHORIZED, "Invalid or expired refresh token")
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            "SELECT r.family_id, r.expires_at, r.used_at, f.user_id, f.revoked_at"
            " FROM refresh_tokens r JOIN login_families f ON f.id = r.family_id"
            " WHERE r.token_hash = $1 FOR UPDATE OF r, f",
            token_digest(token),
        )
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
            raise invalid
        reused = row["used_at"] is not None
        if reused:
            # Committed although the caller hears an error: the revocation must stick.
            await connection.execute(
                "UPDATE login_families SET revoked_at = $2 WHERE id = $1", row["family_id"], now
            )
        else:
            await connection.execute(
                "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1",
                token_digest(token),
                now,
            )
            refresh = await _new_refresh_token(connection, row["family_id"], now, refresh_ttl_ms)
            user = await fetch_user(connection, row["user_id"])
    if reused:
        raise ApiError(
            ErrorCode.UNAUTHORIZED,
            "This refresh token was already used; the login is revoked, sign in again",
        )
    return LoginGrant(user, row["user_id"], row["family_id"], refresh)


async def revoke_family(pool: asyncpg.Pool, family_id: uuid.UUID, now: int) -> None:
    await pool.execute(
        "UPDATE login_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        family_id,
        now,
    )


async def promote_to_admin(pool: asyncpg.Pool, login: str, now: int) -> bool:
    updated = await pool.fetchval(
        "UPDATE users SET role = 'admin', updated_at = $2"
        " WHERE lower(username) = lower($1) OR lower(email) = lower($1) RETURNING id",
        login,
        now,
    )
    return updated is not None


async def find_organization(pool: asyncpg.Pool, reference: str) -> uuid.UUID | None:
    """The organization an id names, or the one of the account a username or email names
    (any case); None when there is none."""
    try:
        organization_id = uuid.UUID(reference)
    except ValueError:
        return await pool.fetchval(
            "SELECT organization_id FROM users"
            " WHERE lower(username) = lower($1) OR lower(email) = lower($1)",
            reference,
        )
    return await pool.fetchval("SELECT id FROM organizations WHERE id = $1", organization_id)


async def list_users(
    pool: asyncpg.Pool, limit: int, cursor: str | None
) -> tuple[list[User], str | None]:
    """Every account, newest first; the cursor is the last id of the previous page."""
    after = uuid.UUID(cursor) if cursor is not None else None
    rows = await pool.fetch(
        f"SELECT {USER_COLUMNS} FROM users u JOIN organizations o ON o.id = u.organization_id"
        " WHERE ($1::uuid IS NULL OR (u.created_at, u.id) <"
        " (SELECT created_at, id FROM users WHERE id = $1))"
        " ORDER BY u.created_at DESC, u.id DESC LIMIT $2",
        after,
        limit + 1,
    )
    page = [user_from_row(row) for row in rows[:limit]]
    return page, (str(page[-1].id) if len(rows) > limit else None)
