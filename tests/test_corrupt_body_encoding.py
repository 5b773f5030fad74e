"""A body whose Content-Encoding does not match its bytes is the client's error: 400 in the
error shape, and nothing in the log but the access line."""

from __future__ import annotations

import logging
import os
import zlib

import pytest

from tests.conftest import expect_error

PATHS = ["/api/v1/sessions", "/api/v1/auth/login", "/api/v1/auth/register"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("path", PATHS)
async def test_a_corrupt_encoded_body_is_a_400_without_a_traceback(client, caplog, path, encoding):
    caplog.set_level(logging.DEBUG)
    for body in (b'{"username": "ivy"}', os.urandom(64 * 1024)):
        response = await client.post(
            path,
            data=body,
            headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
        )
        error = await expect_error(response, 400, "INVALID_REQUEST")
        assert encoding in error["error"]
    assert not [record for record in caplog.records if record.exc_info], caplog.text
    assert "Traceback" not in caplog.text
    assert all(record.name == "aiohttp.access" for record in caplog.records), caplog.text


async def test_a_well_encoded_body_still_reads(client):
    body = zlib.compress(b'{"username": "nobody", "password": "wrong password"}')
    response = await client.post(
        "/api/v1/auth/login",
        data=body,
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
    )
    await expect_error(response, 401, "UNAUTHORIZED")
