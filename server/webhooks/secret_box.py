"""Webhook signing secrets at rest, sealed with AES-256-GCM.

A signing secret cannot be stored hashed like our tokens: the server needs it to sign every
delivery. It is stored encrypted instead, under a key derived from the server's key
(`DUET_JWT_SECRET`, or the one kept in the data dir), so a copy of the database alone
does not let anyone forge deliveries to an organization's endpoints.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "sealed:v1:"
_PURPOSE = b"duet webhook signing secrets v1"
_NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """Sealed under another server key (rotated, or another deployment's database)."""


def _cipher(server_key: bytes) -> AESGCM:
    return AESGCM(hmac.new(server_key, _PURPOSE, hashlib.sha256).digest())


def seal(server_key: bytes, secret: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(server_key).encrypt(nonce, secret.encode("utf-8"), _PREFIX.encode())
    return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def unseal(server_key: bytes, stored: str) -> str:
    if not stored.startswith(_PREFIX):
        raise SecretUnreadable("not a sealed secret")
    raw = base64.b64decode(stored.removeprefix(_PREFIX))
    try:
        plain = _cipher(server_key).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _PREFIX.encode()
        )
    except InvalidTag:
        raise SecretUnreadable("sealed under another server key") from None
    return plain.decode("utf-8")
