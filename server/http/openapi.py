"""The OpenAPI 3 document, generated from the pydantic models in `schema/models.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from schema import models
from schema.errors import STATUS_OF, ErrorCode
from schema.models import test_runs as test_run_models


@dataclass(frozen=True)
class Answer:
    """An answer an operation gives besides its `status` and its errors' `ErrorResponse`."""

    status: int
    response: type[BaseModel]
    description: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    auth: str | None = "participant token"
    errors: tuple[ErrorCode, ...] = ()
    tag: str = "sessions"
    description: str = ""
    parameters: tuple[str, ...] = field(default=())
    body_required: bool = True
    answers: tuple[Answer, ...] = ()


_SESSION_ERRORS = (
    ErrorCode.INVALID_REQUEST,
    ErrorCode.UNAUTHORIZED,
    ErrorCode.FORBIDDEN,
    ErrorCode.SESSION_NOT_FOUND,
    ErrorCode.SESSION_EXPIRED,
    ErrorCode.SESSION_ENDED,
)
_BODY_ERRORS = (ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.UNSUPPORTED_MEDIA_TYPE)
_SESSION = "/api/v1/sessions/{sessionId}"
_BANK_READ = "access token, or API token with sessions:read (a participant token: 403)"
_BANK_WRITE = "access token, or API token with sessions:write (a participant token: 403)"
_TEMPLATE = "/api/v1/templates/{templateId}"

OPERATIONS: tuple[Operation, ...] = (
    Operation("post", "/api/v1/sessions", "Create an interview session",
              models.CreatedSessionEnvelope, 201, models.CreateSessionRequest,
              auth="none (anonymous, unless DUET_ALLOW_ANONYMOUS=false), or an access token, "
              "or an API token with sessions:write",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.IDEMPOTENCY_CONFLICT, ErrorCode.RATE_LIMITED,
                      ErrorCode.QUESTION_NOT_FOUND, ErrorCode.TEMPLATE_NOT_FOUND, *_BODY_ERRORS),
              description="Returns the creator's participant token and one invite per role. "
              "With an account or API token, an Idempotency-Key header makes retries safe, "
              "and questionId or templateId starts the session from the organization's bank."),
    Operation("get", _SESSION, "Get a session", models.SessionEnvelope,
              errors=_SESSION_ERRORS),
    Operation("patch", _SESSION, "Update code, language or title", models.SessionEnvelope,
              body=models.UpdateSessionRequest, errors=_SESSION_ERRORS + _BODY_ERRORS),
    Operation("delete", _SESSION, "Delete a session (interviewers)", None, 204,
              errors=_SESSION_ERRORS),
    Operation("post", f"{_SESSION}/join", "Join with an invite token", models.JoinedSessionEnvelope,
              body=models.JoinRequest, auth="invite token (or own participant token to rejoin)",
              errors=_SESSION_ERRORS + _BODY_ERRORS),
    Operation("put", f"{_SESSION}/code", "Save the code", models.SessionEnvelope,
              body=models.SaveCodeRequest, errors=_SESSION_ERRORS + _BODY_ERRORS),
    Operation("get", f"{_SESSION}/participants", "List participants", models.ParticipantsEnvelope,
              errors=_SESSION_ERRORS, tag="participants"),
    Operation("patch", f"{_SESSION}/participants/{{participantId}}",
              "Update a participant (self, or interviewers for anyone)",
              models.ParticipantEnvelope, body=models.UpdateParticipantRequest,
              errors=(*_SESSION_ERRORS, ErrorCode.PARTICIPANT_NOT_FOUND, *_BODY_ERRORS),
              tag="participants", parameters=("participantId",)),
    Operation("delete", f"{_SESSION}/participants/{{participantId}}",
              "Remove a participant (self, or interviewers for anyone)", None, 204,
              errors=(*_SESSION_ERRORS, ErrorCode.PARTICIPANT_NOT_FOUND),
              tag="participants", parameters=("participantId",)),
    Operation("get", "/api/v1/languages", "Languages, their versions here, whether they run",
              models.LanguagesEnvelope, auth=None, tag="runs",
              description="html is a session language that renders in the browser "
              "(runnable: false)."),
    Operation("post", f"{_SESSION}/runs", "Run the code", models.RunEnvelope, 202,
              models.RunRequest, tag="runs", body_required=False,
              errors=(*_SESSION_ERRORS, *_BODY_ERRORS, ErrorCode.RUN_IN_PROGRESS),
              description="The body is optional: without it the session's document runs in "
              "the session's language. Answers at once; the room receives run_started, "
              "run_output and run_finished. One run at a time per session."),
    Operation("get", f"{_SESSION}/runs", "List runs, newest first", models.RunListEnvelope,
              errors=_SESSION_ERRORS, tag="runs",
              description="Query: limit (1-100, default 20), cursor (a previous nextCursor)."),
    Operation("get", f"{_SESSION}/runs/{{runId}}", "Get a run with its output",
              models.RunDetailEnvelope, errors=(*_SESSION_ERRORS, ErrorCode.RUN_NOT_FOUND),
              tag="runs", parameters=("runId",)),
    Operation("post", f"{_SESSION}/runs/{{runId}}/cancel", "Cancel a run", models.RunEnvelope,
              202, errors=(*_SESSION_ERRORS, ErrorCode.RUN_NOT_FOUND), tag="runs",
              parameters=("runId",),
              description="202 while it was running (its run_finished says cancelled); 200 "
              "with the finished run if it had already ended.",
              answers=(Answer(200, models.RunEnvelope, "The run had already finished"),)),
    Operation("post", f"{_SESSION}/test-runs", "Run the question's tests",
              test_run_models.TestRunEnvelope, 202, test_run_models.TestRunRequest, tag="runs",
              body_required=False,
              errors=(*_SESSION_ERRORS, *_BODY_ERRORS, ErrorCode.QUESTION_NOT_FOUND,
                      ErrorCode.RUN_IN_PROGRESS),
              description="Any participant. Without a body the session's document runs in "
              "the session's language against the pinned question's tests. Answers at once; "
              "the room receives test_run_started, a test_result per test (a hidden test's "
              "data only to interviewers) and test_run_finished. A run and a test run never "
              "overlap."),
    Operation("get", f"{_SESSION}/test-runs", "List test runs, newest first",
              test_run_models.TestRunListEnvelope, errors=_SESSION_ERRORS, tag="runs",
              description="Query: limit (1-100, default 20), cursor (a previous nextCursor). "
              "A candidate reads a hidden test's name and outcome only."),
    Operation("get", f"{_SESSION}/test-runs/{{testRunId}}", "Get a test run with its results",
              test_run_models.TestRunEnvelope, tag="runs", parameters=("testRunId",),
              errors=(*_SESSION_ERRORS, ErrorCode.TEST_RUN_NOT_FOUND)),
    Operation("post", f"{_SESSION}/test-runs/{{testRunId}}/cancel", "Cancel a test run",
              test_run_models.TestRunEnvelope, 202, tag="runs", parameters=("testRunId",),
              errors=(*_SESSION_ERRORS, ErrorCode.TEST_RUN_NOT_FOUND),
              description="202 while it was running (its test_run_finished says cancelled); "
              "200 with the finished test run if it had already ended.",
              answers=(Answer(200, test_run_models.TestRunEnvelope,
                              "The test run had already finished"),)),
    Operation("get", "/api/v1/sessions", "List the caller's sessions, newest first",
              models.SessionListEnvelope, auth="access token, or API token with sessions:read",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN),
              description="Query: limit (1-100, default 20), cursor (a previous nextCursor), "
              "status (active|expired|ended). An account sees its own sessions, an API "
              "token its organization's."),
    Operation("post", f"{_SESSION}/end", "End the interview (interviewers)",
              models.SessionEnvelope, errors=_SESSION_ERRORS,
              description="Editing and running stop for everyone; interviewers keep reading "
              "the final code and runs until expiry. Later edits and runs: 409 SESSION_ENDED."),
    Operation("post", f"{_SESSION}/evaluations", "Submit or replace one's scorecard",
              models.EvaluationEnvelope, 201, models.EvaluationRequest, tag="evaluations",
              auth="an interviewer's participant token or the owner's access token",
              errors=_SESSION_ERRORS + _BODY_ERRORS,
              description="201 when new, 200 when it replaces the caller's earlier one.",
              answers=(Answer(200, models.EvaluationEnvelope,
                              "Replaced the caller's earlier scorecard"),)),
    Operation("get", f"{_SESSION}/evaluations", "List scorecards (interviewers)",
              models.EvaluationListEnvelope, tag="evaluations", errors=_SESSION_ERRORS),
    Operation("get", f"{_SESSION}/evaluations/{{evaluationId}}", "Get a scorecard",
              models.EvaluationEnvelope, tag="evaluations", parameters=("evaluationId",),
              errors=(*_SESSION_ERRORS, ErrorCode.EVALUATION_NOT_FOUND)),
    Operation("post", "/api/v1/auth/register", "Create an account and its organization",
              models.TokenGrant, 201, models.RegisterRequest, auth=None, tag="auth",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.CONFLICT, ErrorCode.RATE_LIMITED,
                      *_BODY_ERRORS)),
    Operation("post", "/api/v1/auth/login", "Sign in with username or email",
              models.TokenGrant, body=models.LoginRequest, auth=None, tag="auth",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED,
                      ErrorCode.RATE_LIMITED, *_BODY_ERRORS)),
    Operation("post", "/api/v1/auth/refresh", "Rotate a refresh token", models.TokenGrant,
              body=models.RefreshRequest, auth=None, tag="auth",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED,
                      ErrorCode.RATE_LIMITED, *_BODY_ERRORS),
              description="Reusing an already used refresh token revokes the whole login."),
    Operation("post", "/api/v1/auth/logout", "Revoke this login", models.Done,
              auth="access token", tag="auth",
              errors=(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN)),
    Operation("get", "/api/v1/auth/me", "The signed-in account", models.UserEnvelope,
              auth="access token", tag="auth",
              errors=(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN)),
    Operation("post", "/api/v1/tokens", "Create an organization API token",
              models.CreatedApiTokenEnvelope, 201, models.CreateApiTokenRequest,
              auth="access token", tag="tokens",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.CONFLICT, *_BODY_ERRORS)),
    Operation("get", "/api/v1/tokens", "List the organization's API tokens",
              models.ApiTokenListEnvelope, auth="access token", tag="tokens",
              errors=(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN)),
    Operation("delete", "/api/v1/tokens/{tokenId}", "Revoke an API token",
              models.ApiTokenEnvelope, auth="access token", tag="tokens",
              parameters=("tokenId",),
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.API_TOKEN_NOT_FOUND)),
    Operation("post", "/api/v1/webhooks", "Register a webhook endpoint",
              models.CreatedWebhookEnvelope, 201, models.CreateWebhookRequest,
              auth="access token, or API token with webhooks:write", tag="webhooks",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.CONFLICT, ErrorCode.IDEMPOTENCY_CONFLICT, *_BODY_ERRORS),
              description="An Idempotency-Key header makes retries safe."),
    Operation("get", "/api/v1/webhooks", "List webhook endpoints", models.WebhookListEnvelope,
              auth="access token, or API token with webhooks:read", tag="webhooks",
              errors=(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN)),
    Operation("get", "/api/v1/webhooks/{webhookId}", "Get a webhook endpoint",
              models.WebhookEnvelope, auth="access token, or API token with webhooks:read",
              tag="webhooks", parameters=("webhookId",),
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.WEBHOOK_NOT_FOUND)),
    Operation("delete", "/api/v1/webhooks/{webhookId}", "Delete a webhook endpoint", None,
              204, auth="access token, or API token with webhooks:write", tag="webhooks",
              parameters=("webhookId",),
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.WEBHOOK_NOT_FOUND)),
    Operation("get", "/api/v1/webhooks/{webhookId}/deliveries",
              "Deliveries with their attempts, newest first", models.DeliveryListEnvelope,
              auth="access token, or API token with webhooks:read", tag="webhooks",
              parameters=("webhookId",),
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.WEBHOOK_NOT_FOUND)),
    Operation("get", "/api/v1/questions", "The organization's question bank, newest first",
              models.QuestionListEnvelope, auth=_BANK_READ, tag="questions",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN),
              description="Query: tag, difficulty (easy, medium, hard), q (text in the title "
              "or prompt), limit (1-100, default 20), cursor (a previous nextCursor)."),
    Operation("post", "/api/v1/questions", "Add a question (version 1)",
              models.QuestionEnvelope, 201, models.QuestionRequest, auth=_BANK_WRITE,
              tag="questions",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      *_BODY_ERRORS)),
    Operation("get", "/api/v1/questions/{questionId}", "Get a question, every test included",
              models.QuestionEnvelope, auth=_BANK_READ, tag="questions",
              parameters=("questionId",), description="Query: version (default the latest).",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.QUESTION_NOT_FOUND)),
    Operation("put", "/api/v1/questions/{questionId}", "Replace a question: its next version",
              models.QuestionEnvelope, body=models.QuestionRequest, auth=_BANK_WRITE,
              tag="questions", parameters=("questionId",),
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.QUESTION_NOT_FOUND, *_BODY_ERRORS)),
    Operation("delete", "/api/v1/questions/{questionId}", "Take a question out of the bank",
              None, 204, auth=_BANK_WRITE, tag="questions", parameters=("questionId",),
              description="Its versions stay for the sessions that use them.",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.QUESTION_NOT_FOUND)),
    Operation("post", "/api/v1/questions/preview", "Render a prompt as promptHtml",
              models.PromptPreviewEnvelope, body=models.PromptPreviewRequest,
              auth=_BANK_WRITE, tag="questions",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      *_BODY_ERRORS),
              description="The question editor's live preview: the Markdown rendered and "
              "sanitized as a saved question's promptHtml; nothing is stored."),
    Operation("post", "/api/v1/questions/try", "Try a reference solution against tests",
              test_run_models.TrialEnvelope, body=test_run_models.TrialRequest,
              auth=_BANK_WRITE, tag="questions",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.SERVICE_UNAVAILABLE, *_BODY_ERRORS),
              description="For a question's author: runs `code` against `tests` (saved or "
              "not) and answers every result; nothing is stored. Needs the local runner (503 "
              "with Kubernetes)."),
    Operation("get", f"{_SESSION}/question", "The session's question, by role",
              models.SessionQuestionEnvelope, tag="questions",
              errors=(*_SESSION_ERRORS, ErrorCode.QUESTION_NOT_FOUND),
              description="Interviewers get the whole question at the pinned version; a "
              "candidate gets no interviewer notes and hidden tests by name only."),
    Operation("put", f"{_SESSION}/question", "Set the session's question (interviewers)",
              models.QuestionEnvelope, body=models.SessionQuestionRequest, tag="questions",
              errors=(*_SESSION_ERRORS, ErrorCode.QUESTION_NOT_FOUND, *_BODY_ERRORS),
              description="A question of the session's organization, at `version` (default "
              "the latest); the room gets question_changed."),
    Operation("get", f"{_SESSION}/timer", "The interview timer", models.InterviewTimerEnvelope,
              tag="sessions", errors=_SESSION_ERRORS,
              description="`elapsedMs` as of `serverTime`; while `running`, add the time "
              "since."),
    Operation("post", f"{_SESSION}/timer", "Start, pause or reset the timer (interviewers)",
              models.InterviewTimerEnvelope, body=models.TimerRequest, tag="sessions",
              errors=(*_SESSION_ERRORS, *_BODY_ERRORS),
              description="`{\"action\": \"start\" | \"pause\" | \"reset\"}`; the room gets "
              "timer_changed."),
    Operation("get", "/api/v1/templates", "The organization's templates, by name",
              models.TemplateListEnvelope, auth=_BANK_READ, tag="templates",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN),
              description="Seed 002's Templates API, in snake_case. Query: category "
              "(programming_language, framework, database, devops, operating_system), status "
              "(active, deprecated, beta)."),
    Operation("post", "/api/v1/templates", "Create a template",
              models.TemplateEnvelope, 201, models.TemplateRequest, auth=_BANK_WRITE,
              tag="templates",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.CONFLICT, *_BODY_ERRORS),
              description="docker_image, default_resources, environment_variables and "
              "startup_commands default to the language's. 409 for a name the organization "
              "already uses, or past 100 templates."),
    Operation("post", "/api/v1/templates/initialize",
              "Create the default templates and load the example questions",
              models.TemplatesInitializedEnvelope, auth=_BANK_WRITE, tag="templates",
              errors=(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN),
              description="Idempotent: a default whose name the organization has, and an "
              "example question whose title its bank has, are left as they are."),
    Operation("get", _TEMPLATE, "Get a template", models.TemplateEnvelope, auth=_BANK_READ,
              tag="templates", parameters=("templateId",),
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.TEMPLATE_NOT_FOUND)),
    Operation("put", _TEMPLATE, "Change a template's fields", models.TemplateEnvelope,
              body=models.TemplateUpdate, auth=_BANK_WRITE, tag="templates",
              parameters=("templateId",),
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.TEMPLATE_NOT_FOUND, ErrorCode.CONFLICT, *_BODY_ERRORS),
              description="The fields given change, the others stay. A new language brings "
              "its image, resources, variables and commands unless the body gives them."),
    Operation("delete", _TEMPLATE, "Deprecate a template (status deprecated)",
              models.TemplateEnvelope, auth=_BANK_WRITE, tag="templates",
              parameters=("templateId",),
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN,
                      ErrorCode.TEMPLATE_NOT_FOUND),
              description="As the seed's DELETE: the template stays, with status "
              "deprecated; answers it."),
    Operation("get", "/api/v1/activity", "The organization's activity, newest first",
              models.ActivityListEnvelope, auth="access token, or API token with activity:read",
              tag="activity",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN)),
    Operation("get", "/api/v1/admin/users", "Every account (admins)", models.UserListEnvelope,
              auth="an admin's access token", tag="admin",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN)),
    Operation("get", "/api/v1/admin/sessions", "Every session (admins)",
              models.SessionListEnvelope, auth="an admin's access token", tag="admin",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN)),
    Operation("get", "/api/v1/admin/activity", "Every organization's activity (admins)",
              models.ActivityListEnvelope, auth="an admin's access token", tag="admin",
              errors=(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN)),
    Operation("get", f"{_SESSION}/runtime", "The session's pod (Kubernetes runner)",
              models.RuntimeEnvelope, errors=(*_SESSION_ERRORS, ErrorCode.SERVICE_UNAVAILABLE),
              tag="runs"),
    Operation("post", f"{_SESSION}/runtime/restart", "Restart the session's pod (interviewers)",
              models.RuntimeEnvelope, 202,
              errors=(*_SESSION_ERRORS, ErrorCode.CONFLICT, ErrorCode.RUN_IN_PROGRESS,
                      ErrorCode.SERVICE_UNAVAILABLE),
              tag="runs", description="Answers at once; pod_* events follow in the room."),
    Operation("post", f"{_SESSION}/runtime/stop", "Stop the session's pod (interviewers)",
              models.RuntimeEnvelope,
              errors=(*_SESSION_ERRORS, ErrorCode.CONFLICT, ErrorCode.RUN_IN_PROGRESS,
                      ErrorCode.SERVICE_UNAVAILABLE),
              tag="runs"),
    Operation("get", f"{_SESSION}/notes", "Interviewers' private notes, oldest first",
              models.NoteListEnvelope, errors=_SESSION_ERRORS, tag="notes",
              description="Interviewers only: a candidate's token gets 403."),
    Operation("post", f"{_SESSION}/notes", "Add a private note (interviewers)",
              models.NoteEnvelope, 201, models.NoteRequest, tag="notes",
              errors=_SESSION_ERRORS + _BODY_ERRORS,
              description="Interviewer connections receive note_added; candidates never do."),
    Operation("patch", f"{_SESSION}/notes/{{noteId}}", "Edit your note", models.NoteEnvelope,
              body=models.NoteRequest, tag="notes", parameters=("noteId",),
              errors=(*_SESSION_ERRORS, ErrorCode.NOTE_NOT_FOUND, *_BODY_ERRORS)),
    Operation("delete", f"{_SESSION}/notes/{{noteId}}", "Delete your note", None, 204,
              tag="notes", parameters=("noteId",),
              errors=(*_SESSION_ERRORS, ErrorCode.NOTE_NOT_FOUND)),
    Operation("get", "/api/v1/health", "Liveness in the v1 API's shape", models.Health,
              auth=None, tag="health"),
    Operation("get", "/api/v1/health/detailed", "Memory, CPU, platform and backing services",
              models.DetailedHealth, auth=None, tag="health",
              answers=(Answer(503, models.DetailedHealth,
                              "Degraded: Postgres or Redis unreachable"),)),
    Operation("get", "/health/live", "Kubernetes liveness", models.Health, auth=None,
              tag="health"),
    Operation("get", "/health/ready", "Kubernetes readiness: Postgres and Redis reachable",
              models.Readiness, auth=None, tag="health",
              answers=(Answer(503, models.Readiness,
                              "Not ready: Postgres or Redis unreachable"),)),
)  # fmt: skip

_REF = "#/components/schemas/{model}"


def _component_schemas() -> dict[str, Any]:
    used: set[type[BaseModel]] = {models.ErrorResponse}
    for operation in OPERATIONS:
        used.update(model for model in (operation.body, operation.response) if model)
        used.update(answer.response for answer in operation.answers)
    ordered = sorted(used, key=lambda model: model.__name__)
    _, schemas = models_json_schema(
        [
            (model, "validation" if model in _request_models() else "serialization")
            for model in ordered
        ],
        ref_template=_REF,
        by_alias=True,
    )
    return schemas.get("$defs", {})


def _request_models() -> set[type[BaseModel]]:
    return {operation.body for operation in OPERATIONS if operation.body}


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    if "{sessionId}" in operation.path:
        parameters.append({
            "name": "sessionId", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^[0-9a-f]{8}$"},
        })  # fmt: skip
    for name in operation.parameters:
        parameters.append(
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "string", "format": "uuid"}}
        )  # fmt: skip
    return parameters


def _operation_spec(operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if operation.response is None:
        responses[str(operation.status)] = {"description": "No content"}
    else:
        responses[str(operation.status)] = {
            "description": "Success",
            "content": {"application/json": {"schema": {
                "$ref": _REF.format(model=operation.response.__name__)}}},
        }  # fmt: skip
    for answer in operation.answers:
        responses[str(answer.status)] = {
            "description": answer.description,
            "content": {"application/json": {"schema": {
                "$ref": _REF.format(model=answer.response.__name__)}}},
        }  # fmt: skip
    for code in operation.errors:
        status = str(STATUS_OF[code])
        error_schema = {"$ref": _REF.format(model="ErrorResponse")}
        entry = responses.setdefault(
            status, {"description": "", "content": {"application/json": {"schema": error_schema}}}
        )
        entry["description"] = ", ".join(filter(None, [entry["description"], code.value]))
    spec: dict[str, Any] = {
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": _parameters(operation),
        "responses": responses,
    }
    if operation.description:
        spec["description"] = operation.description
    if operation.auth:
        spec["security"] = [{"bearer": []}]
        spec["description"] = (spec.get("description", "") + f" Auth: {operation.auth}.").strip()
    if operation.body is not None:
        spec["requestBody"] = {
            "required": operation.body_required,
            "content": {"application/json": {"schema": {
                "$ref": _REF.format(model=operation.body.__name__)}}},
        }  # fmt: skip
    return spec


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _operation_spec(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Duet API",
            "version": "0.1.0",
            "description": "Real-time collaborative coding interviews. Errors always have the "
            'shape {"success": false, "error": "...", "code": "..."}.',
        },
        "paths": paths,
        "components": {
            "schemas": _component_schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
