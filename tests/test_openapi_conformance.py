"""The OpenAPI conformance check (tests/openapi_conformance.py) reports answers that do not
match the document, and passes those that do. Its apps are tiny stand-ins with routes that
the document has, run outside the fixtures so that their wrong answers fail no test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from schema.errors import ErrorCode
from server.http.responses import envelope, error_response, json_response
from tests.conftest import create_room
from tests.openapi_conformance import Conformance, document_path

HEALTH = {"status": "ok", "timestamp": 1_700_000_000_000}


async def _answering(conformance: Conformance, routes: list[web.RouteDef]) -> TestClient:
    app = web.Application()
    app.add_routes(routes)
    conformance.install(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def checked() -> AsyncIterator[tuple[Conformance, Any]]:
    conformance = Conformance()
    clients: list[TestClient] = []

    async def serve(*routes: web.RouteDef) -> TestClient:
        clients.append(await _answering(conformance, list(routes)))
        return clients[-1]

    yield conformance, serve
    for client in clients:
        await client.close()


def _answer(body: Any, status: int = 200) -> Any:
    async def handler(request: web.Request) -> web.Response:
        return json_response(body, status=status)

    return handler


async def test_a_body_that_matches_its_model_passes(checked: Any) -> None:
    conformance, serve = checked
    client = await serve(web.get("/api/v1/health", _answer(HEALTH)))
    assert (await client.get("/api/v1/health")).status == 200
    conformance.assert_conforms()


async def test_a_body_missing_a_required_field_is_reported(checked: Any) -> None:
    conformance, serve = checked
    client = await serve(web.get("/api/v1/health", _answer({"status": "ok"})))
    # The client still gets the server's answer: the check only records it.
    assert await (await client.get("/api/v1/health")).json() == {"status": "ok"}
    assert len(conformance.failures) == 1
    assert "GET /api/v1/health -> 200: Health does not match" in conformance.failures[0]
    assert "timestamp" in conformance.failures[0]
    with pytest.raises(AssertionError, match="do not match the OpenAPI document"):
        conformance.assert_conforms()


async def test_a_wrong_type_is_reported_even_where_lax_validation_would_convert_it(
    checked: Any,
) -> None:
    conformance, serve = checked
    client = await serve(web.get("/api/v1/health", _answer({**HEALTH, "timestamp": "17"})))
    await client.get("/api/v1/health")
    assert len(conformance.failures) == 1 and "timestamp" in conformance.failures[0]


async def test_a_key_the_model_does_not_have_is_reported(checked: Any) -> None:
    conformance, serve = checked
    client = await serve(web.get("/api/v1/health", _answer({**HEALTH, "uptime": 3})))
    await client.get("/api/v1/health")
    assert conformance.failures == [
        "GET /api/v1/health -> 200: keys Health does not have: .uptime; body: "
        '{"status":"ok","timestamp":1700000000000,"uptime":3}'
    ]


async def test_a_snake_case_spelling_of_a_camel_case_field_is_reported(checked: Any) -> None:
    conformance, serve = checked
    note = {
        "id": "6f1c1f0e-8d1e-4a38-9b8e-0a3e3f0c7a11", "session_id": "0123abcd",
        "authorId": "6f1c1f0e-8d1e-4a38-9b8e-0a3e3f0c7a12", "authorName": "Ivy",
        "body": "good", "createdAt": 1, "updatedAt": 1,
    }  # fmt: skip

    async def notes(request: web.Request) -> web.Response:
        return envelope([note])

    client = await serve(web.get("/api/v1/sessions/{session_id}/notes", notes))
    await client.get("/api/v1/sessions/0123abcd/notes")
    assert len(conformance.failures) == 1
    assert "keys NoteListEnvelope does not have: .data[0].session_id" in conformance.failures[0]


async def test_an_error_body_not_in_the_error_shape_is_reported(checked: Any) -> None:
    conformance, serve = checked
    client = await serve(
        web.get("/api/v1/health", _answer({"error": "no"}, status=503)),
        web.get("/health/live", _unavailable),
    )
    await client.get("/api/v1/health")
    await client.get("/health/live")
    assert len(conformance.failures) == 1
    assert "GET /api/v1/health -> 503: ErrorResponse does not match" in conformance.failures[0]


async def _unavailable(request: web.Request) -> web.Response:
    return error_response(ErrorCode.SERVICE_UNAVAILABLE, "down")


async def test_a_status_the_document_does_not_give_is_reported(checked: Any) -> None:
    conformance, serve = checked
    client = await serve(web.get("/api/v1/health", _answer(HEALTH, status=201)))
    await client.get("/api/v1/health")
    assert conformance.failures == [
        "GET /api/v1/health -> 201: status 201, but the document says 200"
    ]


async def test_a_route_missing_from_the_document_is_reported_unless_deliberate(
    checked: Any,
) -> None:
    conformance, serve = checked
    client = await serve(
        web.get("/api/v1/secret", _answer({"success": True})),
        web.get("/favicon.ico", _icon),
    )
    await client.get("/api/v1/secret")
    await client.get("/favicon.ico")
    await client.get("/api/v1/nowhere")  # no route: aiohttp's own 404, not checked as JSON
    assert conformance.failures == [
        "GET /api/v1/secret -> 200: undocumented route: no Operation for GET /api/v1/secret"
    ]


async def _icon(request: web.Request) -> web.Response:
    return web.Response(body=b"\x00", content_type="image/x-icon")


def test_path_parameters_are_spelled_as_in_the_document() -> None:
    assert document_path("/api/v1/sessions/{session_id}/notes/{noteId}") == (
        "/api/v1/sessions/{sessionId}/notes/{noteId}"
    )
    assert document_path("/api/v1/tokens/{token_id}") == "/api/v1/tokens/{tokenId}"


async def test_the_real_app_is_checked_through_the_fixtures(
    client: TestClient, openapi_conformance: Conformance
) -> None:
    assert openapi_conformance.middleware in client.app.middlewares
    await create_room(client)
    assert openapi_conformance.checked == 1 and openapi_conformance.failures == []


async def test_an_error_code_the_operation_does_not_list_is_reported(checked: Any) -> None:
    conformance, serve = checked

    async def refuse(request: web.Request) -> web.Response:
        code = ErrorCode(request.query["code"])
        return error_response(code, "no")

    client = await serve(web.get("/api/v1/auth/me", refuse))
    for code in ("UNAUTHORIZED", "RATE_LIMITED", "RUN_NOT_FOUND"):
        await client.get("/api/v1/auth/me", params={"code": code})
    assert conformance.failures == [
        "GET /api/v1/auth/me -> 404: error code RUN_NOT_FOUND, which the operation does not list"
    ]


async def test_another_documented_answer_is_checked_with_its_own_model(checked: Any) -> None:
    conformance, serve = checked
    not_ready = {"status": "not_ready", "checks": {"redis": "error: X"}, "timestamp": 1}
    client = await serve(
        web.get("/health/ready", _answer(not_ready, status=503)),
        web.get("/api/v1/health/detailed", _unavailable),
    )
    await client.get("/health/ready")
    assert conformance.failures == []
    # The document gives a degraded server's 503 as DetailedHealth, not the error shape.
    await client.get("/api/v1/health/detailed")
    assert len(conformance.failures) == 1
    assert "-> 503: DetailedHealth does not match" in conformance.failures[0]
