"""Every REST answer a test receives is checked against the OpenAPI document.

`Conformance.install(app)` puts a middleware outermost in an app before it freezes (so it
sees the answer exactly as the client gets it, CORS and error shapes included). For each
answer it finds the `server.openapi.OPERATIONS` entry by method and the route's canonical
path, and checks that

* a 2xx answer has the operation's status and, with a response model, a JSON body that the
  model validates strictly, with no key the model does not have (the document would not
  show it); an operation without a model answers with no body;
* an answer with one of the operation's other `answers`' statuses has that one's model;
* an error answer (4xx, 5xx) is JSON in `ErrorResponse`'s shape, with a code the
  operation lists (or one of `ANY_ROUTE`'s);
* a route with no entry is in `NOT_IN_DOCUMENT`, the short list of routes that are
  deliberately not part of the API.

Failures are collected, not raised, so the test sees the server's real answer; the
`openapi_conformance` fixture in `tests/conftest.py` asserts there are none at teardown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from schema.errors import ErrorCode
from schema.models import ErrorResponse
from server.http.openapi import OPERATIONS, Operation

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Routes that are not REST operations, so the OpenAPI document leaves them out on purpose:
# the web app's pages and bundle, the favicon, the docs page and the document itself, and
# the realtime doors (Socket.IO and the two WebSockets speak their own protocols), and the
# Prometheus scrape (its own text format).
NOT_IN_DOCUMENT = frozenset({
    "/",
    "/s/{session_id}",
    "/questions",
    "/questions/{question_id}",
    "/assets/{name}",
    "/favicon.ico",
    "/docs",
    "/api/v1/openapi.json",
    "/socket.io/",
    "/yjs/{session_id}",
    "/ws/sessions/{session_id}",
    "/metrics",
})  # fmt: skip

# Error codes the middlewares may answer on any route, so no operation lists them: a rate
# limit (every /api/v1 call but health), and a failure of ours or of a backing service.
ANY_ROUTE = frozenset({
    ErrorCode.RATE_LIMITED.value, ErrorCode.INTERNAL_ERROR.value,
    ErrorCode.SERVICE_UNAVAILABLE.value,
})  # fmt: skip

_JSON = "application/json"

_BY_ROUTE: dict[tuple[str, str], Operation] = {
    (operation.method, operation.path): operation for operation in OPERATIONS
}


def document_path(canonical: str) -> str:
    """The route's path in the document's spelling: `{session_id}` is `{sessionId}`."""
    return re.sub(
        r"\{(\w+)\}", lambda m: "{" + re.sub(r"_(\w)", lambda c: c[1].upper(), m[1]) + "}",
        canonical,
    )  # fmt: skip


def check_answer(
    method: str, canonical: str | None, status: int, content_type: str, body: bytes
) -> list[str]:
    """What is wrong with one answer, as sentences; empty when it matches the document.
    `canonical` is the matched route's canonical path, None when no route matched."""
    method = method.lower()
    # HEAD answers carry no body; OPTIONS is the CORS preflight, answered by the middleware.
    if method in ("head", "options"):
        return []
    if canonical is None:
        # No route (404) or not this method (405): still the API's error shape when JSON.
        return _check_error(body) if status >= 400 and content_type == _JSON else []
    operation = _BY_ROUTE.get((method, document_path(canonical)))
    if operation is None:
        if canonical in NOT_IN_DOCUMENT:
            return []
        return [f"undocumented route: no Operation for {method.upper()} {canonical}"]
    other = next((answer for answer in operation.answers if answer.status == status), None)
    if other is not None:
        if content_type != _JSON:
            return [f"{content_type!r}, not JSON"]
        return _check_model(other.response, body)
    if status >= 400:
        if content_type != _JSON:
            return [f"error answer {status} is {content_type!r}, not JSON"]
        problems = _check_error(body)
        code = json.loads(body)["code"] if not problems else None
        if code and code not in {error.value for error in operation.errors} | ANY_ROUTE:
            problems.append(f"error code {code}, which the operation does not list")
        return problems
    if not 200 <= status < 300:
        return []
    problems = []
    if status != operation.status:
        problems.append(f"status {status}, but the document says {operation.status}")
    if operation.response is None:
        if body:
            problems.append(f"a body, but the document says none: {_excerpt(body)}")
        return problems
    if content_type != _JSON:
        return [*problems, f"{content_type!r}, not JSON"]
    return problems + _check_model(operation.response, body)


def _check_error(body: bytes) -> list[str]:
    return _check_model(ErrorResponse, body)


def _check_model(model: type[BaseModel], body: bytes) -> list[str]:
    try:
        parsed = model.model_validate_json(body, strict=True)
    except ValidationError as error:
        return [f"{model.__name__} does not match: {error}; body: {_excerpt(body)}"]
    extra = _keys_not_in(json.loads(body), parsed.model_dump(mode="json", by_alias=True))
    if extra:
        return [f"keys {model.__name__} does not have: {', '.join(extra)}; body: {_excerpt(body)}"]
    return []


def _keys_not_in(answer: Any, documented: Any, where: str = "") -> list[str]:
    """The keys of `answer` that the model's own dump of it lacks, as JSON paths. A snake
    spelling of a camelCase field is one of them: the model accepts it by name, but dumps
    (and documents) the alias."""
    if isinstance(answer, dict) and isinstance(documented, dict):
        return [
            path
            for key, value in answer.items()
            for path in (
                _keys_not_in(value, documented[key], f"{where}.{key}")
                if key in documented
                else [f"{where}.{key}"]
            )
        ]
    if isinstance(answer, list) and isinstance(documented, list):
        return [
            path
            for index, (value, dumped) in enumerate(zip(answer, documented, strict=False))
            for path in _keys_not_in(value, dumped, f"{where}[{index}]")
        ]
    return []


def _excerpt(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return text if len(text) <= 600 else text[:600] + "…"


class Conformance:
    """Collects what is wrong with the answers of every app it is installed in."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.checked = 0  # answers compared with the document

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            response = await handler(request)
            self._check(request, response)
            return response

        self.middleware = middleware

    def install(self, app: web.Application) -> None:
        """Outermost, so the answer is checked as sent. Call it before the app starts."""
        if self.middleware not in app.middlewares:
            app.middlewares.insert(0, self.middleware)

    def _check(self, request: web.Request, response: web.StreamResponse) -> None:
        resource = request.match_info.route.resource
        canonical = resource.canonical if resource is not None else None
        if canonical in NOT_IN_DOCUMENT or request.method in ("HEAD", "OPTIONS"):
            return
        if isinstance(response, web.Response) and isinstance(response.body, bytes | None):
            body = response.body or b""
        else:
            self.failures.append(
                f"{request.method} {request.path} -> {response.status}: a "
                f"{type(response).__name__} whose body cannot be checked"
            )
            return
        self.checked += 1
        for problem in check_answer(
            request.method, canonical, response.status, response.content_type, body
        ):
            self.failures.append(f"{request.method} {request.path} -> {response.status}: {problem}")

    def assert_conforms(self) -> None:
        assert not self.failures, "answers that do not match the OpenAPI document:\n" + "\n".join(
            self.failures
        )
