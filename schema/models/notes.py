"""Interviewers' private notes."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field

from schema.models.base import RequestModel, ResponseModel, storable

MAX_NOTE_CHARS = 10_000

NoteBody = Annotated[
    str,
    AfterValidator(storable),
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
