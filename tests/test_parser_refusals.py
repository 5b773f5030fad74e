"""Requests aiohttp's parser refuses are a 400 and one quiet log line, not a traceback."""

from __future__ import annotations

import asyncio
import logging

import pytest

SECRET = b"dp_" + b"s" * 9000
MALFORMED = {
    "header over 8 KB": b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
    + SECRET + b"\r\n\r\n",
    "too many headers": b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
    "Transfer-Encoding with Content-Length": b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
}  # fmt: skip


async def send_raw(client, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(data)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_a_request_the_parser_refuses_logs_no_traceback(client, caplog, kind):
    caplog.set_level(logging.DEBUG)
    answer = await send_raw(client, MALFORMED[kind])
    assert answer.startswith(b"HTTP/1.0 400 ") or answer.startswith(b"HTTP/1.1 400 "), answer
    assert not [record for record in caplog.records if record.exc_info], caplog.text
    assert "Traceback" not in caplog.text and "sssss" not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "refused a malformed request" in caplog.text
