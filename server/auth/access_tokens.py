"""Access tokens: short-lived HS256 JWTs naming the user and the login they belong to.

Only HS256 is accepted: `alg: none`, any other algorithm, a bad signature, a missing claim
or an expired token all fail as one `InvalidAccessToken`. Revocation (logout, refresh-token
reuse) is checked against the login family in Postgres by the caller, on every request.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt

from server.config import Settings

ALGORITHM = "HS256"
_KEY_FILE = "jwt-secret"
_REQUIRED = ["exp", "iat", "sub", "sid", "jti", "typ"]


class InvalidAccessToken(Exception):
    """Any reason to refuse an access token; the client only ever hears 401."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    family_id: uuid.UUID


def load_signing_key(settings: Settings) -> bytes:
    """The configured key, or one generated into the data dir on first start and reused.

    Several processes sharing the data dir may start together: the file is created with
    O_EXCL, so exactly one writes it and the others read the same key."""
    if settings.jwt_secret:
        return settings.jwt_secret.encode("utf-8")
    path = Path(settings.data_dir) / _KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text("ascii").strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} holds no usable key; delete it to generate one") from None
        return key.encode("ascii")
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key.encode("ascii")


def issue(key: bytes, user_id: uuid.UUID, family_id: uuid.UUID, now_s: int, ttl_s: int) -> str:
    claims = {
        "sub": str(user_id),
        "sid": str(family_id),
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "iat": now_s,
        "exp": now_s + ttl_s,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify(key: bytes, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": _REQUIRED})
        if claims["typ"] != "access":
            raise InvalidAccessToken("not an access token")
        return AccessClaims(uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]))
    except (jwt.PyJWTError, ValueError, TypeError, AttributeError) as error:
        raise InvalidAccessToken(str(error)) from None


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2
