"""Property-based fuzzing of every endpoint: whatever the body, headers or path, the answer
is never a 500 and errors always have the seed's shape."""

from __future__ import annotations

import json
import string
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import bearer, create_room, join

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    ["creator", "user", "code", "language", "title", "name", "color", "isOnline", "id", "x"]
)
user_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | json_values,
        "name": st.text(max_size=120) | json_values,
        "color": st.sampled_from(["red", "#fff", "hsl(1,2%,3%)"]) | st.text(max_size=60),
    },
)
bodies = st.one_of(
    json_values,
    st.dictionaries(field_names, json_values | user_like, max_size=5),
    st.fixed_dictionaries(
        {"creator": user_like},
        optional={"code": st.text(), "language": st.text(max_size=25), "title": st.text()},
    ),
    st.fixed_dictionaries({"user": user_like}),
)
raw_bodies = st.binary(max_size=200) | bodies.map(lambda value: json.dumps(value).encode())
content_types = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "",
        "application/merge-patch+json",
    ]
)
ENDPOINTS = [
    ("POST", "/api/v1/sessions"),
    ("GET", "/api/v1/sessions/{sid}"),
    ("PATCH", "/api/v1/sessions/{sid}"),
    ("PUT", "/api/v1/sessions/{sid}/code"),
    ("POST", "/api/v1/sessions/{sid}/join"),
    ("GET", "/api/v1/sessions/{sid}/participants"),
    ("PATCH", "/api/v1/sessions/{sid}/participants/{pid}"),
    ("DELETE", "/api/v1/sessions/{sid}/participants/{pid}"),
    ("DELETE", "/api/v1/sessions/{sid}"),
]
path_ids = st.one_of(
    st.just("{real}"),
    st.text(alphabet=string.hexdigits + "%/.-_~", min_size=0, max_size=12),
)


async def _check(response) -> None:
    text = await response.text()
    assert response.status < 500, (response.status, text)
    assert "Traceback" not in text
    if response.status >= 400:
        body = json.loads(text)
        assert body["success"] is False and body["code"] and body["error"]


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    raw=raw_bodies,
    content_type=content_types,
    token_choice=st.sampled_from(["creator", "candidate", "invite", "none", "garbage"]),
    sid=path_ids,
    pid=st.sampled_from(["{creator}", "{candidate}", str(uuid.uuid4()), "nope", ""]),
)
async def test_no_input_produces_a_500(
    fuzz_state, endpoint, raw, content_type, token_choice, sid, pid
):
    client, room, candidate, candidate_token = fuzz_state
    method, template = endpoint
    session_id = room.id if sid == "{real}" else sid
    participant_id = {"{creator}": room.creator["id"], "{candidate}": candidate["id"]}.get(pid, pid)
    path = template.format(sid=session_id, pid=participant_id)
    if not path.startswith("/api/v1/sessions") or "//" in path:
        return
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(
        {
            "creator": bearer(room.token),
            "candidate": bearer(candidate_token),
            "invite": bearer(room.candidate_invite),
            "none": {},
            "garbage": {"Authorization": "Bearer \u00ff x"},
        }[token_choice]
    )
    if method == "DELETE" and "participants" not in path:
        method = "GET"  # keep the shared room alive across examples
    try:
        response = await client.request(method, path, data=raw, headers=headers)
    except ValueError:
        return  # the client library itself refuses some header values
    await _check(response)


@pytest.fixture
async def fuzz_state(client):
    room = await create_room(client, code="start", language="python")
    candidate, token = await join(client, room, room.candidate_invite)
    return client, room, candidate, token
