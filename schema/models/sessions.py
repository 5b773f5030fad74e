"""Sessions and their participants."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, model_validator

from schema.models.base import (
    Code,
    CssColor,
    DisplayName,
    LanguageName,
    RequestModel,
    ResponseModel,
    Role,
    Title,
)


class UserInfo(RequestModel):
    """Who is creating or joining: the client's own UUID, a display name and a color."""

    id: UUID
    name: DisplayName
    color: CssColor


class CreateSessionRequest(RequestModel):
    creator: UserInfo | None = Field(
        default=None,
        description="Required without an account; with an access token or API token it may "
        "be left out (nobody joins until the invites are used)",
    )
    code: Code = ""
    language: LanguageName = "javascript"
    title: Title = ""
    question_id: UUID | None = Field(
        default=None,
        description="Start from one of the organization's questions: pinned at "
        "questionVersion (default the latest); code defaults to its starter for language, "
        "title to its title",
    )
    question_version: Annotated[int, Field(ge=1)] | None = None
    template_id: UUID | None = Field(
        default=None,
        description="Start from one of the organization's templates: language defaults to "
        "its language, code to its entry file, title to its display name",
    )


class UpdateSessionRequest(RequestModel):
    code: Code | None = None
    language: LanguageName | None = None
    title: Title | None = None

    @model_validator(mode="after")
    def _something(self) -> UpdateSessionRequest:
        if not self.model_fields_set:
            raise ValueError("set at least one of 'code', 'language', 'title'")
        return self


class SaveCodeRequest(RequestModel):
    code: Code
    language: LanguageName | None = None


class JoinRequest(RequestModel):
    user: UserInfo


class UpdateParticipantRequest(RequestModel):
    name: DisplayName | None = None
    color: CssColor | None = None
    is_online: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> UpdateParticipantRequest:
        if not self.model_fields_set:
            raise ValueError("set at least one of 'name', 'color', 'isOnline'")
        return self


class Participant(ResponseModel):
    id: UUID
    name: str
    role: Role
    color: str
    joined_at: int = Field(description="Unix time in ms")
    is_online: bool


class Session(ResponseModel):
    id: str = Field(pattern=r"^[0-9a-f]{8}$")
    created_at: int = Field(description="Unix time in ms")
    updated_at: int = Field(description="Unix time in ms")
    expires_at: int = Field(description="Unix time in ms; createdAt + DUET_SESSION_TTL")
    code: str
    language: str
    participants: list[Participant]
    creator_id: UUID
    title: str = ""
    ended_at: int | None = Field(default=None, description="Unix time in ms; null until ended")


class Invite(ResponseModel):
    token: str = Field(description="Bearer token for POST /sessions/{id}/join; shown once")
    url: str = Field(description="Link to share: {DUET_PUBLIC_URL}/s/{id}?invite=TOKEN")


class Invites(ResponseModel):
    interviewer: Invite
    candidate: Invite


class SessionEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Session


class CreatedSessionEnvelope(SessionEnvelope):
    token: str | None = Field(
        description="The creator's participant token; shown once (null without a creator)"
    )
    invites: Invites


class JoinedSessionEnvelope(SessionEnvelope):
    token: str = Field(description="The new participant's token; shown once")


class ParticipantList(ResponseModel):
    participants: list[Participant]


class ParticipantsEnvelope(ResponseModel):
    """Enveloped like every answer; `participants` also sits at the top level as in the seed."""

    success: Literal[True] = True
    data: ParticipantList
    participants: list[Participant]


class ParticipantEnvelope(Participant):
    """The seed returns the bare participant; we add the envelope around the same fields."""

    success: Literal[True] = True
    data: Participant


class SessionSummary(Session):
    status: Literal["active", "expired", "ended"]
    owner_id: UUID | None
    organization_id: UUID | None


class SessionListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[SessionSummary]
    next_cursor: str | None
