"""Accounts, logins and API tokens."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from schema.models.base import (
    RequestModel,
    ResponseModel,
    storable,
)

_USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _username(value: str) -> str:
    if not 3 <= len(value) <= 50 or not set(value) <= _USERNAME_CHARS:
        raise ValueError("must be 3 to 50 letters, digits or underscores")
    return value.lower()


def _email(value: str) -> str:
    value = storable(value).strip()
    local, at, domain = value.rpartition("@")
    if (
        len(value) > 254
        or not at
        or not local
        or "." not in domain.strip(".")
        or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in value)
        or "@" in local
    ):
        raise ValueError("must be a valid email address, e.g. 'ada@example.com'")
    return value.lower()


def _password(value: str) -> str:
    storable(value)
    if len(value) < 8:
        raise ValueError("must be at least 8 characters")
    if len(value) > 1024:
        raise ValueError("must be at most 1024 characters")
    return value


def _login(value: str) -> str:
    value = storable(value).strip()
    if not 1 <= len(value) <= 254:
        raise ValueError("must be a username or an email address")
    return value


def _short_name(value: str) -> str:
    value = storable(value).strip()
    if not 1 <= len(value) <= 100:
        raise ValueError("must be 1 to 100 characters")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


Username = Annotated[str, AfterValidator(_username)]
Email = Annotated[str, AfterValidator(_email)]
Password = Annotated[str, AfterValidator(_password)]
ShortName = Annotated[str, AfterValidator(_short_name)]


class SnakeRequestModel(RequestModel):
    """Auth bodies use the seed's snake_case (`refresh_token`), as OAuth does."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=None, populate_by_name=False, strict=True
    )


class RegisterRequest(SnakeRequestModel):
    username: Username
    email: Email
    password: Password
    organization: ShortName | None = Field(
        default=None, description="Name of the organization created with the account"
    )


class LoginRequest(SnakeRequestModel):
    username: Annotated[str, AfterValidator(_login)] = Field(
        description="The username or the email address"
    )
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class RefreshRequest(SnakeRequestModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


class Organization(ResponseModel):
    id: UUID
    name: str


class User(ResponseModel):
    id: UUID
    username: str
    email: str
    role: Literal["user", "admin"]
    organization: Organization
    created_at: int
    updated_at: int
    last_login_at: int | None


class TokenGrant(BaseModel):
    success: Literal[True] = True
    access_token: str = Field(description="HS256 JWT; send as 'Authorization: Bearer'")
    refresh_token: str = Field(description="Opaque; rotated on every use")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the access token is valid")
    user: User
    data: dict[str, Any] = Field(description="The same fields, enveloped")


class UserEnvelope(ResponseModel):
    success: Literal[True] = True
    data: User


Scope = Literal["sessions:read", "sessions:write", "webhooks:read", "webhooks:write",
                "activity:read"]  # fmt: skip


class CreateApiTokenRequest(RequestModel):
    name: ShortName
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=5)]


class ApiToken(ResponseModel):
    id: UUID
    name: str
    scopes: list[Scope]
    created_at: int
    created_by: UUID | None
    last_used_at: int | None
    revoked_at: int | None


class ApiTokenEnvelope(ResponseModel):
    success: Literal[True] = True
    data: ApiToken


class CreatedApiTokenEnvelope(ApiTokenEnvelope):
    token: str = Field(description="The API token (dk_…); shown once, stored only hashed")


class ApiTokenListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[ApiToken]


class UserListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[User]
    next_cursor: str | None
