"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from schema.models.base import (
    RequestModel,
    ResponseModel,
    Title,
)

WebhookEvent = Literal["session.created", "participant.joined", "run.finished",
                       "test_run.finished", "session.ended", "session.expired",
                       "evaluation.submitted"]  # fmt: skip


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
