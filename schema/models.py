"""Pydantic models for every REST payload, in the seed's camelCase shapes.

Request models forbid unknown fields and explicit nulls, so a typo is a 400 that names the
field rather than a silently ignored value. Response models are what the OpenAPI spec shows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic.alias_generators import to_camel

from runner.limits import RunReason
from schema.colors import MAX_COLOR_LENGTH, is_css_color

Role = Literal["interviewer", "candidate"]


def _storable(value: str) -> str:
    # Postgres TEXT cannot hold NUL and UTF-8 cannot hold a lone surrogate (JSON "\ud800"
    # decodes to one); refusing them here keeps them from becoming a 500 in the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _display_name(value: str) -> str:
    value = _storable(value).strip()
    if not 1 <= len(value) <= 100:
        raise ValueError("must be 1 to 100 characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _css_color(value: str) -> str:
    if not is_css_color(value):
        raise ValueError(
            f"must be a CSS color of at most {MAX_COLOR_LENGTH} characters, "
            "e.g. 'hsl(250, 84%, 54%)' or '#3b82f6'"
        )
    return value.strip()


def _title(value: str) -> str:
    value = _storable(value).strip()
    if len(value) > 200:
        raise ValueError("must be at most 200 characters")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


DisplayName = Annotated[str, AfterValidator(_display_name)]
CssColor = Annotated[str, AfterValidator(_css_color)]
Code = Annotated[str, AfterValidator(_storable)]
Title = Annotated[str, AfterValidator(_title)]
LanguageName = Annotated[str, Field(min_length=1, max_length=20)]


class RequestModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, strict=True
    )

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None:
                    raise ValueError(f"'{key}' must not be null")
        return data


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    @classmethod
    def from_record(cls, row: Mapping[str, Any], **values: Any) -> Self:
        """The model of a database row whose columns are named as the fields (snake_case);
        `values` for the fields a column does not give as is."""
        return cls.model_validate({**dict(row), **values})

    def wire(self) -> dict[str, Any]:
        """As the API answers it: camelCase, JSON types."""
        return self.model_dump(mode="json", by_alias=True)


def jsonable(value: Any) -> Any:
    """`json.dumps`'s `default`: a model as the API answers it."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


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


class ErrorResponse(ResponseModel):
    success: Literal[False] = False
    error: str
    code: str


class Health(ResponseModel):
    status: Literal["ok"] = "ok"
    timestamp: int


class Readiness(ResponseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]
    timestamp: int


class MemoryUsage(ResponseModel):
    used: float
    total: float
    percent: float
    unit: Literal["MB"] = "MB"


class CpuUsage(BaseModel):
    usage_percent: float
    count: int


class SystemInfo(ResponseModel):
    memory: MemoryUsage
    cpu: CpuUsage
    platform: str


class DetailedHealth(BaseModel):
    status: Literal["healthy", "degraded"]
    timestamp: str
    uptime: int = Field(description="ms since this process started")
    environment: str
    version: str
    system: SystemInfo
    checks: dict[str, str]
    warnings: list[str] = []
    message: str


# -- code runs ---------------------------------------------------------------------------


def _utf8(value: str) -> str:
    # stdin is never stored, so NUL is fine; a lone surrogate cannot be encoded at all.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


class RunRequest(RequestModel):
    """Run the session's document, or `code`/`language` instead of it, with `stdin`."""

    stdin: Annotated[str, AfterValidator(_utf8)] = ""
    code: Code | None = None
    language: LanguageName | None = None


class CancelRunEvent(RequestModel):
    """The `run_cancel` event; without `runId` it cancels whatever runs in the session."""

    run_id: UUID | None = None


class RunOutputChunk(ResponseModel):
    stream: Literal["stdout", "stderr"]
    data: str


class Run(ResponseModel):
    id: UUID
    session_id: str
    language: str
    by: UUID = Field(description="The participant who started the run")
    status: Literal["running", "finished"]
    started_at: int = Field(description="Unix time in ms")
    finished_at: int | None = Field(description="Unix time in ms; null while running")
    code_hash: str = Field(description="SHA-256 (hex) of the code that ran, UTF-8")
    stage: Literal["compile", "run"] | None = Field(
        description="The step that produced exitCode/signal: a failed compile stops there"
    )
    exit_code: int | None
    signal: str | None = Field(description="e.g. 'SIGKILL' when a signal ended the program")
    duration_ms: int | None
    timed_out: bool
    memory_exceeded: bool
    output_truncated: bool
    cancelled: bool
    reason: RunReason | None = Field(
        description="Why the run ended: exit, compile_error, time_limit, cpu_limit, "
        "memory_limit, output_limit or cancelled; null while running"
    )
    limit: int | float | None = Field(
        description="The value of the limit the run reached: seconds for time_limit and "
        "cpu_limit, bytes for memory_limit and output_limit; null otherwise"
    )
    output: list[RunOutputChunk] = Field(
        description="stdout and stderr in the order written, UTF-8 with invalid bytes "
        "replaced; while the run is running, GET /runs/{runId} gives the output so far "
        "and outputSeq"
    )


class LiveRun(Run):
    """A run still going, as `GET /runs/{runId}` answers it."""

    output_seq: int = Field(
        description="The seq of the next run_output event, so that the live events continue "
        "the output given here"
    )


class RunEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Run


class RunDetailEnvelope(ResponseModel):
    success: Literal[True] = True
    data: LiveRun | Run = Field(description="A run still going comes with outputSeq")


class RunListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[Run] = Field(description="Newest first")
    next_cursor: str | None = Field(description="?cursor= for the next page; null at the end")


class LanguageInfo(ResponseModel):
    name: str
    version: str | None
    available: bool = Field(description="Usable in a session on this server")
    runnable: bool = Field(description="False for html, which renders in the browser")


class LanguagesEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[LanguageInfo]


# -- accounts ----------------------------------------------------------------------------

_USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _username(value: str) -> str:
    if not 3 <= len(value) <= 50 or not set(value) <= _USERNAME_CHARS:
        raise ValueError("must be 3 to 50 letters, digits or underscores")
    return value.lower()


def _email(value: str) -> str:
    value = _storable(value).strip()
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
    _storable(value)
    if len(value) < 8:
        raise ValueError("must be at least 8 characters")
    if len(value) > 1024:
        raise ValueError("must be at most 1024 characters")
    return value


def _login(value: str) -> str:
    value = _storable(value).strip()
    if not 1 <= len(value) <= 254:
        raise ValueError("must be a username or an email address")
    return value


def _short_name(value: str) -> str:
    value = _storable(value).strip()
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


class Done(ResponseModel):
    success: Literal[True] = True
    data: dict[str, Any]


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


WebhookEvent = Literal["session.created", "participant.joined", "run.finished",
                       "session.ended", "session.expired", "evaluation.submitted"]  # fmt: skip


class CreateWebhookRequest(RequestModel):
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    events: Annotated[list[WebhookEvent], Field(min_length=1, max_length=6)]
    description: Title = ""


class Webhook(ResponseModel):
    id: UUID
    url: str
    events: list[WebhookEvent]
    description: str
    created_at: int


class WebhookEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Webhook


class CreatedWebhookEnvelope(WebhookEnvelope):
    secret: str = Field(description="whsec_… signing secret (Standard Webhooks); shown once")


class WebhookListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[Webhook]


class DeliveryAttempt(ResponseModel):
    at: int
    status_code: int | None
    error: str | None
    response: str | None = Field(description="The first KiB of the receiver's answer")
    duration_ms: int


class Delivery(ResponseModel):
    id: str = Field(description="The webhook-id header; the same on every retry")
    event: WebhookEvent
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: int
    next_attempt_at: int | None
    delivered_at: int | None
    payload: dict[str, Any]
    history: list[DeliveryAttempt]


class DeliveryListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[Delivery]
    next_cursor: str | None


Recommendation = Literal["strong_no", "no", "yes", "strong_yes"]


def _evaluation_text(value: str) -> str:
    value = _storable(value)
    if len(value) > 20_000:
        raise ValueError("must be at most 20000 characters")
    return value


class EvaluationRequest(RequestModel):
    rating: Annotated[int, Field(ge=1, le=4)]
    recommendation: Recommendation
    text: Annotated[str, AfterValidator(_evaluation_text)] = ""


class Evaluation(ResponseModel):
    id: UUID
    session_id: str
    author_id: UUID
    author_name: str
    author_type: Literal["participant", "user"]
    rating: int
    recommendation: Recommendation
    text: str
    created_at: int
    updated_at: int


class EvaluationEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Evaluation


class EvaluationListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[Evaluation]


class Activity(ResponseModel):
    id: str
    action: str
    actor_type: Literal["user", "api_token", "participant", "anonymous", "system"]
    actor_id: str | None
    session_id: str | None
    ip: str | None
    details: dict[str, Any]
    timestamp: int
    organization_id: UUID | None


class ActivityListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[Activity]
    next_cursor: str | None


class SessionSummary(Session):
    status: Literal["active", "expired", "ended"]
    owner_id: UUID | None
    organization_id: UUID | None


class SessionListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[SessionSummary]
    next_cursor: str | None


class UserListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[User]
    next_cursor: str | None


class RuntimeFailure(ResponseModel):
    reason: str = Field(description="e.g. ErrImagePull, Unschedulable, DeadlineExceeded")
    message: str


class Runtime(ResponseModel):
    backend: str = Field(description="kubernetes, or the local sandbox's name")
    state: Literal["local", "none", "pending", "ready", "failed", "terminating"]
    pod: str | None
    node: str | None
    language: str | None
    image: str | None
    age_seconds: int | None
    failure: RuntimeFailure | None = None
    usage: dict[str, str] | None = Field(
        description="cpu and memory from the metrics API when the cluster has it"
    )


class RuntimeEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Runtime


# -- interviewers' private notes ------------------------------------------------------------

MAX_NOTE_CHARS = 10_000

NoteBody = Annotated[
    str,
    AfterValidator(_storable),
    Field(min_length=1, max_length=MAX_NOTE_CHARS, description="Plain text"),
]


class NoteRequest(RequestModel):
    """Add a note, or replace its body (`PATCH`)."""

    body: NoteBody


class Note(ResponseModel):
    id: UUID
    session_id: str
    author_id: UUID = Field(description="The interviewer who wrote it")
    author_name: str
    body: str
    created_at: int = Field(description="Unix time in ms")
    updated_at: int = Field(description="Unix time in ms")


class NoteEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Note


class NoteListEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[Note] = Field(description="Oldest first")
