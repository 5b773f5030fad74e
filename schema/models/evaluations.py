"""Scorecards."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field

from schema.models.base import (
    RequestModel,
    ResponseModel,
    storable,
)
from schema.models.test_runs import TestScore

Recommendation = Literal["strong_no", "no", "yes", "strong_yes"]


def _evaluation_text(value: str) -> str:
    value = storable(value)
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
    test_score: TestScore | None = Field(
        default=None, description="The latest finished test run's score, if any"
    )
