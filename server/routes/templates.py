"""`/api/v1/templates`: seed 002's Templates API, per organization.

Templates belong to an organization, as its question bank does: its accounts and API
tokens read them with `sessions:read` and change them with `sessions:write`. A
participant's token is refused (403), and another organization's template is a 404.
`POST /templates/initialize` creates the default templates and loads the example
questions into the bank, each only once however often it is called.
"""

from __future__ import annotations

from typing import get_args

from aiohttp import web

from schema.clock import now_ms
from schema.errors import invalid
from schema.models.templates import (
    Category,
    InitializedQuestion,
    Status,
    TemplateRequest,
    TemplatesInitialized,
    TemplateUpdate,
)
from server import questions, templates
from server.access import READ, WRITE, record_organization_change
from server.auth.authenticate import require_organization_member
from server.auth.principal import Principal
from server.http.requests import read_json, uuid_param
from server.http.responses import envelope
from server.question_files import example_questions
from server.state import POOL, SETTINGS

routes = web.RouteTableDef()
_TEMPLATES = "/api/v1/templates"
_TEMPLATE = _TEMPLATES + "/{templateId}"


async def _caller(request: web.Request, scope: str) -> Principal:
    return await require_organization_member(request, scope, "templates API")


def _filter(request: web.Request, name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.query.get(name)
    if value is not None and value not in allowed:
        raise invalid(f"{name} must be one of {', '.join(allowed)}")
    return value


@routes.get(_TEMPLATES)
async def list_templates(request: web.Request) -> web.Response:
    principal = await _caller(request, READ)
    category = _filter(request, "category", get_args(Category))
    status = _filter(request, "status", get_args(Status))
    return envelope(
        await templates.list_templates(
            request.app[POOL], principal.organization_id, category=category, status=status
        )
    )


@routes.post(_TEMPLATES + "/initialize")
async def initialize(request: web.Request) -> web.Response:
    principal = await _caller(request, WRITE)
    pool, now = request.app[POOL], now_ms()
    created, defaults = await templates.initialize_defaults(
        pool, principal.organization_id, request.app[SETTINGS].kube_settings(), now
    )
    author = principal.id if principal.kind == "user" else None
    saved = await questions.save_questions(
        pool, principal.organization_id, list(example_questions().values()), author, now,
        same_title="keep",
    )  # fmt: skip
    loaded = [
        InitializedQuestion(
            id=item.question.id, title=item.question.title, version=item.question.version,
            created=item.outcome == "created",
        )
        for item in saved
    ]  # fmt: skip
    new_questions = sum(1 for question in loaded if question.created)
    await record_organization_change(
        request, principal, "templates_initialized", now, templates=created,
        questions=[str(question.id) for question in loaded if question.created],
    )  # fmt: skip
    message = (
        f"Created {len(created)} of {len(defaults)} default templates and "
        f"{new_questions} of {len(loaded)} example questions; the rest were already there"
    )
    return envelope(
        TemplatesInitialized(message=message, created=created, templates=defaults, questions=loaded)
    )


@routes.post(_TEMPLATES)
async def create_template(request: web.Request) -> web.Response:
    principal = await _caller(request, WRITE)
    body = await read_json(request, TemplateRequest)
    now = now_ms()
    template = await templates.create_template(
        request.app[POOL], principal.organization_id, body,
        request.app[SETTINGS].kube_settings(), now,
    )  # fmt: skip
    await record_organization_change(
        request, principal, "template_created", now, templateId=str(template.id),
        name=template.name,
    )  # fmt: skip
    return envelope(template, status=201)


@routes.get(_TEMPLATE)
async def get_template(request: web.Request) -> web.Response:
    template_id = uuid_param(request, "templateId", "templateId")
    principal = await _caller(request, READ)
    return envelope(
        await templates.fetch_template(request.app[POOL], principal.organization_id, template_id)
    )


@routes.put(_TEMPLATE)
async def update_template(request: web.Request) -> web.Response:
    template_id = uuid_param(request, "templateId", "templateId")
    principal = await _caller(request, WRITE)
    update = await read_json(request, TemplateUpdate)
    now = now_ms()
    template = await templates.update_template(
        request.app[POOL], principal.organization_id, template_id, update,
        request.app[SETTINGS].kube_settings(), now,
    )  # fmt: skip
    await record_organization_change(
        request, principal, "template_updated", now, templateId=str(template.id),
        fields=sorted(update.changes()),
    )  # fmt: skip
    return envelope(template)


@routes.delete(_TEMPLATE)
async def deprecate_template(request: web.Request) -> web.Response:
    template_id = uuid_param(request, "templateId", "templateId")
    principal = await _caller(request, WRITE)
    now = now_ms()
    template = await templates.deprecate_template(
        request.app[POOL], principal.organization_id, template_id, now
    )
    await record_organization_change(
        request, principal, "template_deprecated", now, templateId=str(template.id)
    )
    return envelope(template)
