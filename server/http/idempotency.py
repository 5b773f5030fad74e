"""`Idempotency-Key` on creating calls made with an account or API token.

The first answer is remembered for 24 h under (caller, key) with a digest of the request:
a retry with the same body gets that answer again, another body gets 409
`IDEMPOTENCY_CONFLICT`. The key is claimed in the transaction that creates the thing, so
two concurrent retries create it once.

Answers carry secrets (participant and invite tokens), and secrets are only ever stored
hashed. So the tokens of an idempotent creation are not random but derived with HMAC from
the server key, the caller, the key and the session: a replay recomputes the very same
tokens, and nothing secret is stored in the clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from schema.errors import ApiError, ErrorCode, invalid
from schema.models import jsonable

RETENTION_MS = 86_400_000
HEADER = "Idempotency-Key"
_PREFIX = {"creator": "dp_", "invite:interviewer": "di_", "invite:candidate": "di_"}


class Raced(Exception):
    """Another request with the same key committed first."""


@dataclass(frozen=True)
class IdempotencyKey:
    principal: str
    key: str
    request_hash: bytes


def principal_key(kind: str, principal_id: object) -> str:
    return f"{kind}:{principal_id}"


def from_header(
    value: str | None, principal: str, method: str, path: str, body: bytes
) -> IdempotencyKey | None:
    if value is None:
        return None
    if not 1 <= len(value) <= 255 or not value.isascii() or not value.isprintable():
        raise invalid(f"{HEADER} must be 1 to 255 printable ASCII characters")
    digest = hashlib.sha256(f"{method} {path}\n".encode() + body).digest()
    return IdempotencyKey(principal, value, digest)


def token_mint(server_key: bytes, key: IdempotencyKey) -> Callable[[str, str], str]:
    def mint(session_id: str, label: str) -> str:
        message = f"{key.principal}\n{key.key}\n{session_id}\n{label}".encode()
        digest = hmac.new(server_key, message, hashlib.sha256).digest()
        return _PREFIX[label] + base64.urlsafe_b64encode(digest).decode().rstrip("=")

    return mint


async def find(pool: asyncpg.Pool, key: IdempotencyKey, now: int) -> dict[str, Any] | None:
    """The remembered answer for this key, or None; 409 when the body differs."""
    row = await pool.fetchrow(
        "SELECT request_hash, status, body FROM idempotency_keys"
        " WHERE principal = $1 AND key = $2 AND created_at > $3",
        key.principal,
        key.key,
        now - RETENTION_MS,
    )
    if row is None:
        return None
    if bytes(row["request_hash"]) != key.request_hash:
        raise ApiError(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            f"This {HEADER} was already used with a different request body",
        )
    return {"status": row["status"], "body": json.loads(row["body"])}


async def remember(
    connection: asyncpg.Connection,
    key: IdempotencyKey,
    status: int,
    body: dict[str, Any],
    now: int,
) -> None:
    """Claim the key inside the creating transaction; Raced if it is already taken."""
    claimed = await connection.fetchval(
        "INSERT INTO idempotency_keys (principal, key, request_hash, status, body, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (principal, key) DO UPDATE SET request_hash = EXCLUDED.request_hash,"
        " status = EXCLUDED.status, body = EXCLUDED.body, created_at = EXCLUDED.created_at"
        " WHERE idempotency_keys.created_at <= $7"
        " RETURNING key",
        key.principal, key.key, key.request_hash, status, json.dumps(body, default=jsonable), now,
        now - RETENTION_MS,
    )  # fmt: skip
    if claimed is None:
        raise Raced()


async def forget_expired(pool: asyncpg.Pool, now: int) -> None:
    await pool.execute("DELETE FROM idempotency_keys WHERE created_at <= $1", now - RETENTION_MS)
