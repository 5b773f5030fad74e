"""`/api/v1/sessions/{id}/notes`: interviewers' private notes (candidates get 403)."""

from __future__ import annotations

import uuid

from aiohttp import web

from schema.clock import now_ms
from schema.errors import invalid
from schema.events import Event, NoteAdded, NoteDeleted, NoteUpdated
from schema.models import NoteRequest
from server import notes
from server.access import READ, WRITE, Caller, require_interviewer, session_caller
from server.authors import author_of
from server.http.requests import read_json, session_id_param
from server.http.responses import envelope
from server.state import POOL, RELAY

routes = web.RouteTableDef()

_NOTES = "/api/v1/sessions/{session_id}/notes"


def note_id_param(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["noteId"])
    except ValueError:
        raise invalid("noteId must be a UUID") from None


async def _interviewer(request: web.Request, session_id: str) -> Caller:
    # An owning account's access token counts as an interviewer, as everywhere.
    scope = READ if request.method == "GET" else WRITE
    caller = await session_caller(request, session_id, now_ms(), scope=scope)
    require_interviewer(caller, "read or write notes")
    return caller


async def _author(request: web.Request, session_id: str) -> tuple[str, uuid.UUID]:
    return author_of(await _interviewer(request, session_id), "Notes")


async def _announce(request: web.Request, session_id: str, event: Event) -> None:
    request.app[RELAY].announce(session_id, *event.parts(), roles=notes.INTERVIEWERS)


@routes.get(_NOTES)
async def list_notes(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    await _interviewer(request, session_id)
    return envelope(await notes.list_notes(request.app[POOL], session_id))


@routes.post(_NOTES)
async def add_note(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    author = await _author(request, session_id)
    body = await read_json(request, NoteRequest)
    note = await notes.add_note(request.app[POOL], session_id, author, body.body, now_ms())
    await _announce(request, session_id, NoteAdded.model_validate(note.wire()))
    return envelope(note, status=201)


@routes.patch(_NOTES + "/{noteId}")
async def edit_note(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    note_id = note_id_param(request)
    _, author_id = await _author(request, session_id)
    body = await read_json(request, NoteRequest)
    note = await notes.edit_note(
        request.app[POOL], session_id, note_id, author_id, body.body, now_ms()
    )
    await _announce(request, session_id, NoteUpdated.model_validate(note.wire()))
    return envelope(note)


@routes.delete(_NOTES + "/{noteId}")
async def delete_note(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    note_id = note_id_param(request)
    _, author_id = await _author(request, session_id)
    await notes.delete_note(request.app[POOL], session_id, note_id, author_id)
    await _announce(request, session_id, NoteDeleted(id=str(note_id), session_id=session_id))
    return web.Response(status=204)
