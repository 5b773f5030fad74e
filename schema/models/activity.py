"""The activity log."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from schema.models.base import (
    ResponseModel,
)


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
