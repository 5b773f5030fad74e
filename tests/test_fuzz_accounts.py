"""Property-based fuzzing of the account and integration endpoints: whatever the body,
query, headers or credential, the answer is never a 500 and errors have the seed's shape."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.accounts_helpers import api_token, owned_session, register
from tests.conftest import bearer
from tests.test_fuzz import _check, content_types, json_values

account_fields = st.sampled_from(
    ["username", "email", "password", "organization", "refresh_token", "name", "scopes",
     "url", "events", "description", "rating", "recommendation", "text", "creator", "x",
     "display_name", "language", "files", "default_resources", "status", "default_port"]
)  # fmt: skip
plausible = st.one_of(
    json_values,
    st.sampled_from(["sessions:read", "session.created", "yes", "strong_no", 3, 0, 5,
                     "https://example.com/h", "a@b.co", "' OR 1=1 --", "x" * 3000,
                     "python", "beta", {"main.py": "x"}, {"cpu": "1"}]),
    st.lists(st.sampled_from(["sessions:read", "webhooks:write", "session.ended", "nope"]),
             max_size=4),
)  # fmt: skip
bodies = st.one_of(json_values, st.dictionaries(account_fields, plausible, max_size=6))
raw_bodies = st.binary(max_size=200) | bodies.map(lambda value: json.dumps(value).encode())
ENDPOINTS = [
    ("POST", "/api/v1/auth/register"), ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"), ("GET", "/api/v1/auth/me"),
    ("GET", "/api/v1/sessions"), ("POST", "/api/v1/sessions"),
    ("POST", "/api/v1/sessions/{sid}/end"), ("POST", "/api/v1/sessions/{sid}/evaluations"),
    ("GET", "/api/v1/sessions/{sid}/evaluations"),
    ("GET", "/api/v1/sessions/{sid}/evaluations/{x}"),
    ("POST", "/api/v1/tokens"), ("GET", "/api/v1/tokens"), ("DELETE", "/api/v1/tokens/{x}"),
    ("POST", "/api/v1/webhooks"), ("GET", "/api/v1/webhooks/{x}/deliveries"),
    ("GET", "/api/v1/activity"), ("GET", "/api/v1/admin/users"),
    ("GET", "/api/v1/admin/sessions"), ("GET", "/api/v1/admin/activity"),
    ("GET", "/api/v1/templates"), ("POST", "/api/v1/templates"),
    ("GET", "/api/v1/templates/{x}"), ("PUT", "/api/v1/templates/{x}"),
    ("DELETE", "/api/v1/templates/{x}"),
]  # fmt: skip
queries = st.dictionaries(
    st.sampled_from(["limit", "cursor", "status", "user_id", "category"]),
    st.text(max_size=30) | st.sampled_from(["0", "100", "1_abc12345", "ended", "-1"]),
    max_size=3,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    raw=raw_bodies,
    content_type=content_types,
    credential=st.sampled_from(["owner", "api", "none", "garbage-jwt", "participant", "dk"]),
    path_part=st.text(max_size=40) | st.uuids().map(str),
    query=queries,
    idempotency=st.none() | st.text(max_size=300),
)
async def test_no_input_produces_a_500(
    fuzz_world, endpoint, raw, content_type, credential, path_part, query, idempotency
):
    client, world = fuzz_world
    method, template = endpoint
    if method == "POST" and template.endswith("/end"):
        method = "GET"  # keep the shared session open across examples
    path = template.format(sid=world["session"], x=path_part.replace("/", ""))
    headers = {"Content-Type": content_type} if content_type else {}
    headers |= {
        "owner": bearer(world["owner"]),
        "api": bearer(world["api"]),
        "participant": bearer(world["participant"]),
        "none": {},
        "garbage-jwt": bearer("eyJhbGciOiJub25lIn0.e30."),
        "dk": bearer("dk_" + "A" * 43),
    }[credential]
    if idempotency is not None:
        headers["Idempotency-Key"] = idempotency
    try:
        response = await client.request(method, path, data=raw, headers=headers, params=query)
    except ValueError:
        return  # the client library itself refuses some header values
    await _check(response)


@pytest.fixture
async def fuzz_world(client):
    owner = await register(client)
    body = await owned_session(client, owner.access)
    token = await api_token(client, owner, "sessions:read", "sessions:write",
                            "webhooks:read", "webhooks:write", "activity:read")  # fmt: skip
    creator = await owned_session(client, owner.access, creator={
        "id": "550e8400-e29b-41d4-a716-446655440000", "name": "Ivy", "color": "red"})
    return client, {"owner": owner.access, "api": token, "session": body["data"]["id"],
                    "participant": creator["token"]}  # fmt: skip
