"""An anonymous create with Idempotency-Key is refused for the header whatever the body."""

from __future__ import annotations

import pytest

from tests.conftest import expect_error, user


@pytest.mark.parametrize(
    "body",
    [None, b"", b"{not json", b'{"creator": {"id": "x"}}', b'{"language": "cobol"}'],
)
async def test_the_header_is_refused_before_the_body_is_read(client, body):
    response = await client.post(
        "/api/v1/sessions",
        data=body,
        headers={"Idempotency-Key": "retry-1", "Content-Type": "application/json"},
    )
    error = await expect_error(response, 400, "INVALID_REQUEST")
    assert "Idempotency-Key" in error["error"]


async def test_a_valid_anonymous_body_with_the_header_is_refused_too(client):
    response = await client.post(
        "/api/v1/sessions", json={"creator": user()}, headers={"Idempotency-Key": "retry-1"}
    )
    error = await expect_error(response, 400, "INVALID_REQUEST")
    assert "Idempotency-Key" in error["error"]
