"""Who is calling with an account credential, once found (`server/auth/authenticate.py`
finds it): a user or an organization's API token, with its scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

# Every scope an API token can hold; an account holds all of them.
SCOPES = ("sessions:read", "sessions:write", "webhooks:read", "webhooks:write", "activity:read")


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_token"]
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    role: Literal["user", "admin", "api"]
    scopes: frozenset[str]
    family_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
