"""Bad input gets a 4xx in the seed's error shape, never a 500, and changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, create_room, expect_error, user

CREATE = "/api/v1/sessions"


async def test_malformed_json(client):
    response = await client.post(
        CREATE, data=b'{"creator": ', headers={"Content-Type": "application/json"}
    )
    body = await expect_error(response, 400, "INVALID_REQUEST")
    assert "Malformed JSON" in body["error"]


async def test_missing_body(client):
    response = await client.post(CREATE, headers={"Content-Type": "application/json"})
    await expect_error(response, 400, "INVALID_REQUEST")
    response = await client.post(CREATE)
    await expect_error(response, 400, "INVALID_REQUEST")


async def test_body_that_is_not_an_object(client):
    for raw in (b"[]", b'"text"', b"42", b"null"):
        response = await client.post(CREATE, data=raw, headers={"Content-Type": "application/json"})
        await expect_error(response, 400, "INVALID_REQUEST")


async def test_non_json_content_type_is_415(client):
    response = await client.post(CREATE, data="creator=x", headers={"Content-Type": "text/plain"})
    await expect_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    response = await client.post(
        CREATE, data=b"{}", headers={"Content-Type": "application/json; charset=latin-1"}
    )
    await expect_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_unknown_fields_are_named(client):
    response = await client.post(CREATE, json={"creator": user(), "colour": "red", "extra": 1})
    body = await expect_error(response, 400, "INVALID_REQUEST")
    assert "'colour'" in body["error"] and "'extra'" in body["error"]
    nested = await client.post(CREATE, json={"creator": {**user(), "admin": True}})
    assert "'creator.admin'" in (await expect_error(nested, 400, "INVALID_REQUEST"))["error"]


@pytest.mark.parametrize(
    ("creator_patch", "field"),
    [
        ({"id": "not-a-uuid"}, "creator.id"),
        ({"id": 12}, "creator.id"),
        ({"name": ""}, "creator.name"),
        ({"name": "   "}, "creator.name"),
        ({"name": "x" * 101}, "creator.name"),
        ({"name": 5}, "creator.name"),
        ({"name": "bad\u0000name"}, "creator.name"),
        ({"name": "line\nbreak"}, "creator.name"),
        ({"color": "red; background: url(x)"}, "creator.color"),
        ({"color": "hsl(" + "1" * 60 + ")"}, "creator.color"),
        ({"color": ""}, "creator.color"),
        ({"color": None}, "color"),
    ],
)
async def test_invalid_creator_fields_are_named(client, creator_patch, field):
    response = await client.post(CREATE, json={"creator": {**user(), **creator_patch}})
    body = await expect_error(response, 400, "INVALID_REQUEST")
    assert field in body["error"], body


@pytest.mark.parametrize(
    "color", ["hsl(250, 84%, 54%)", "#abc", "#AABBCC", "rgb(1 2 3 / 50%)", "rebeccapurple",
              "hsla(120deg, 70%, 50%, 0.5)", "rgba(0,0,0,.5)"],
)  # fmt: skip
async def test_css_colors_are_accepted(client, color):
    response = await client.post(CREATE, json={"creator": user(color=color)})
    assert response.status == 201, await response.text()


async def test_names_at_the_limits(client):
    ok = await client.post(CREATE, json={"creator": user(name="x" * 100)})
    assert ok.status == 201
    one = await client.post(CREATE, json={"creator": user(name="é")})
    assert one.status == 201


async def test_missing_creator_and_wrong_types(client):
    body = await expect_error(await client.post(CREATE, json={}), 400, "INVALID_REQUEST")
    assert "'creator' is required" in body["error"]
    wrong = await client.post(CREATE, json={"creator": user(), "code": 3, "language": ["py"]})
    body = await expect_error(wrong, 400, "INVALID_REQUEST")
    assert "'code'" in body["error"] and "'language'" in body["error"]


async def test_unknown_language_lists_the_allowed_ones(client):
    response = await client.post(CREATE, json={"creator": user(), "language": "cobol"})
    body = await expect_error(response, 400, "INVALID_REQUEST")
    for language in ("javascript", "python", "html"):
        assert language in body["error"]


async def test_code_over_the_limit_is_413(client, settings):
    too_big = "x" * (settings.max_code_bytes + 1)
    response = await client.post(CREATE, json={"creator": user(), "code": too_big})
    await expect_error(response, 413, "PAYLOAD_TOO_LARGE")
    # The limit counts UTF-8 bytes, not characters.
    emoji = "😀" * (settings.max_code_bytes // 4 + 1)
    response = await client.post(CREATE, json={"creator": user(), "code": emoji})
    await expect_error(response, 413, "PAYLOAD_TOO_LARGE")
    at_limit = await client.post(
        CREATE, json={"creator": user(), "code": "y" * settings.max_code_bytes}
    )
    assert at_limit.status == 201


async def test_body_over_the_http_limit_is_413_in_the_seed_shape(client, settings):
    huge = b'{"creator": "' + b"x" * (settings.client_max_size + 10) + b'"}'
    response = await client.post(CREATE, data=huge, headers={"Content-Type": "application/json"})
    await expect_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_oversized_update_leaves_the_code_unchanged(client, settings):
    room = await create_room(client, code="keep me")
    response = await client.put(
        f"/api/v1/sessions/{room.id}/code",
        json={"code": "z" * (settings.max_code_bytes + 1)},
        headers=bearer(room.token),
    )
    await expect_error(response, 413, "PAYLOAD_TOO_LARGE")
    after = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    assert (await after.json())["data"]["code"] == "keep me"


async def test_nul_and_lone_surrogates_in_code_are_refused(client):
    room = await create_room(client)
    nul = await client.put(
        f"/api/v1/sessions/{room.id}/code", json={"code": "a\u0000b"}, headers=bearer(room.token)
    )
    await expect_error(nul, 400, "INVALID_REQUEST")
    surrogate = await client.put(
        f"/api/v1/sessions/{room.id}/code",
        data=b'{"code": "\\ud800"}',
        headers={**bearer(room.token), "Content-Type": "application/json"},
    )
    await expect_error(surrogate, 400, "INVALID_REQUEST")


@pytest.mark.parametrize("bad_id", ["ABC12345", "abc1234", "abc123456", "zzzzzzzz", "abc1234%20"])
async def test_session_id_that_is_not_8_hex_is_400(client, bad_id):
    room = await create_room(client)
    response = await client.get(f"/api/v1/sessions/{bad_id}", headers=bearer(room.token))
    await expect_error(response, 400, "INVALID_REQUEST")


async def test_empty_updates_and_nulls_are_refused(client):
    room = await create_room(client)
    path = f"/api/v1/sessions/{room.id}"
    await expect_error(
        await client.patch(path, json={}, headers=bearer(room.token)), 400, "INVALID_REQUEST"
    )
    await expect_error(
        await client.patch(path, json={"code": None}, headers=bearer(room.token)),
        400, "INVALID_REQUEST",
    )  # fmt: skip
    await expect_error(
        await client.put(f"{path}/code", json={"language": "python"}, headers=bearer(room.token)),
        400, "INVALID_REQUEST",
    )  # fmt: skip
    await expect_error(
        await client.patch(
            f"{path}/participants/{room.creator['id']}", json={}, headers=bearer(room.token)
        ),
        400, "INVALID_REQUEST",
    )  # fmt: skip
    await expect_error(
        await client.patch(
            f"{path}/participants/{room.creator['id']}", json={"role": "candidate"},
            headers=bearer(room.token),
        ),
        400, "INVALID_REQUEST",
    )  # fmt: skip


async def test_unknown_routes_and_methods_keep_the_error_shape(client):
    await expect_error(await client.get("/api/v1/nothing"), 404, "NOT_FOUND")
    await expect_error(await client.put("/api/v1/sessions"), 405, "METHOD_NOT_ALLOWED")
