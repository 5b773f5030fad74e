"""Capability tokens: how they are made, stored and recognised.

A token is 256 random bits from `secrets`, with a short prefix that says what it opens
(`dp_` participant, `di_` invite, `dk_` organization API key, `dr_` refresh token) so
that a leaked one is easy to recognise in a scanner.
Only its SHA-256 digest is stored: with that much entropy a slow hash adds nothing, and a
digest keeps every request to one index lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Literal

TokenKind = Literal["participant", "invite", "api", "refresh"]
_PREFIX: dict[TokenKind, str] = {
    "participant": "dp_",
    "invite": "di_",
    "api": "dk_",
    "refresh": "dr_",
}


def is_kind(token: str, kind: TokenKind) -> bool:
    return token.startswith(_PREFIX[kind])


def new_token(kind: TokenKind) -> str:
    return _PREFIX[kind] + secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None
    return value
