"""Every endpoint added for accounts and integrations, called by every kind of caller:
anonymous, a candidate, an API token without the needed scope, another account, an admin
(of another organization), the session's interviewer, its owner, and an API token of the
owner's organization with every scope. Refusals come first, so that a call that changes
something (ending, revoking) happens after everyone who must be refused was refused."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.accounts_helpers import api_token, owned_session, register
from tests.conftest import Room, bearer, expect_error, join, user

ROLES = ("anonymous", "candidate", "api_other_scope", "stranger", "admin",
         "interviewer", "owner", "api_all_scopes")  # fmt: skip
ALL_SCOPES = ("sessions:read", "sessions:write", "webhooks:read", "webhooks:write",
              "activity:read")  # fmt: skip


@dataclass
class World:
    session_id: str
    webhook_id: str
    spare_token_id: str
    credentials: dict[str, str | None]


@pytest.fixture
async def world(client, db) -> World:
    owner, stranger, admin = [await register(client) for _ in range(3)]
    await db.execute("UPDATE users SET role = 'admin' WHERE id = $1", uuid.UUID(admin.user["id"]))
    body = await owned_session(client, owner.access, creator=user("Ivy"))
    session_id = body["data"]["id"]
    room = Room(session_id, {}, body["token"], body["invites"]["interviewer"]["token"],
                body["invites"]["candidate"]["token"], body)  # fmt: skip
    _, candidate = await join(client, room, room.candidate_invite)
    hook = await client.post("/api/v1/webhooks", headers=owner.headers,
                             json={"url": "https://example.com/h", "events": ["session.ended"]})
    await api_token(client, owner, "sessions:read")  # the spare one, revoked by the matrix
    listed = await (await client.get("/api/v1/tokens", headers=owner.headers)).json()
    return World(
        session_id=session_id,
        webhook_id=(await hook.json())["data"]["id"],
        spare_token_id=listed["data"][0]["id"],
        credentials={
            "anonymous": None,
            "candidate": candidate,
            "api_other_scope": await api_token(client, owner, "activity:read"),
            "stranger": stranger.access,
            "admin": admin.access,
            "interviewer": body["token"],
            "owner": owner.access,
            "api_all_scopes": await api_token(client, owner, *ALL_SCOPES),
        },
    )


SCORE = {"rating": 3, "recommendation": "yes"}
HOOK = {"url": "https://example.com/x", "events": ["session.created"]}
TOKEN = {"name": "x", "scopes": ["sessions:read"]}

# endpoint -> status for each role, in ROLES order
MATRIX = [
    (("GET", "/api/v1/sessions", None), (401, 401, 403, 200, 200, 401, 200, 200)),
    (("POST", "/api/v1/sessions", {}), (400, 401, 403, 201, 201, 401, 201, 201)),
    (("GET", "/api/v1/sessions/{s}", None), (401, 200, 403, 403, 403, 200, 200, 200)),
    (("GET", "/api/v1/sessions/{s}/evaluations", None), (401, 403, 403, 403, 403, 200, 200, 200)),
    (("POST", "/api/v1/sessions/{s}/evaluations", SCORE), (401, 403, 403, 403, 403, 201, 201,
                                                          403)),
    (("POST", "/api/v1/sessions/{s}/end", None), (401, 403, 403, 403, 403, 200, 200, 200)),
    (("GET", "/api/v1/tokens", None), (401, 401, 403, 200, 200, 401, 200, 403)),
    (("POST", "/api/v1/tokens", TOKEN), (401, 401, 403, 201, 201, 401, 201, 403)),
    (("DELETE", "/api/v1/tokens/{t}", None), (401, 401, 403, 404, 404, 401, 200, 403)),
    (("GET", "/api/v1/webhooks", None), (401, 401, 403, 200, 200, 401, 200, 200)),
    (("POST", "/api/v1/webhooks", HOOK), (401, 401, 403, 201, 201, 401, 201, 201)),
    (("GET", "/api/v1/webhooks/{w}", None), (401, 401, 403, 404, 404, 401, 200, 200)),
    (("GET", "/api/v1/webhooks/{w}/deliveries", None), (401, 401, 403, 404, 404, 401, 200, 200)),
    (("DELETE", "/api/v1/webhooks/{w}", None), (401, 401, 403, 404, 404, 401, 204, 404)),
    (("GET", "/api/v1/activity", None), (401, 401, 200, 200, 200, 401, 200, 200)),
    (("GET", "/api/v1/admin/users", None), (401, 401, 403, 403, 200, 401, 403, 403)),
    (("GET", "/api/v1/admin/sessions", None), (401, 401, 403, 403, 200, 401, 403, 403)),
    (("GET", "/api/v1/admin/activity", None), (401, 401, 403, 403, 200, 401, 403, 403)),
    (("GET", "/api/v1/auth/me", None), (401, 401, 403, 200, 200, 401, 200, 403)),
    (("POST", "/api/v1/auth/logout", None), (401, 401, 403, 200, 200, 401, 200, 403)),
]


@pytest.mark.parametrize(("endpoint", "expected"), MATRIX,
                         ids=[f"{m} {p}" for (m, p, _), _ in MATRIX])  # fmt: skip
async def test_every_role_on_every_new_endpoint(client, world, endpoint, expected):
    method, template, body = endpoint
    path = template.format(s=world.session_id, w=world.webhook_id, t=world.spare_token_id)
    for role, status in zip(ROLES, expected, strict=True):
        credential = world.credentials[role]
        headers = bearer(credential) if credential else {}
        response = await client.request(method, path, json=body, headers=headers)
        if status >= 400:
            await expect_error(response, status, _code(status, template))
        else:
            assert response.status == status, (role, await response.text())


def _code(status: int, template: str) -> str:
    if status == 404:
        return "API_TOKEN_NOT_FOUND" if "/tokens/" in template else "WEBHOOK_NOT_FOUND"
    return {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN"}[status]
