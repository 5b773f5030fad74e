"""One exec into a pod over the channel WebSocket protocol (v5, else v4.channel.k8s.io).

Frames are binary, each led by a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the error
channel (a `Status` JSON when the command ends: its exit code), 255 (v5 only) "close the
channel in the next byte", which is how stdin reaches EOF. v4 cannot end stdin at all, so
the caller learns the protocol and, on v4, feeds stdin from a file instead.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from runner.errors import RunnerError
from runner.kubernetes.api import KubeApi
from runner.kubernetes.podspec import CONTAINER

STDIN, STDOUT, STDERR, ERROR, CLOSE = 0, 1, 2, 3, 255
V5, V4 = "v5.channel.k8s.io", "v4.channel.k8s.io"
_CHUNK = 64 * 1024

ChannelCallback = Callable[[int, bytes], Awaitable[None]]


@dataclass(frozen=True)
class ExecResult:
    # None when the stream ended without the error channel saying how the command ended.
    exit_code: int | None
    protocol: str | None


def exit_code_of(status: dict[str, Any]) -> int:
    """The error channel's Status -> exit code; RunnerError when the exec itself failed
    (no such executable, container gone), which has no exit code."""
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode" and str(cause.get("message", "")).isdigit():
            return int(cause["message"])
    raise RunnerError(
        f"the command could not run in the pod: {status.get('message') or status}",
        str(status.get("reason") or "ExecFailed"),
    )


async def exec_in_pod(
    api: KubeApi,
    namespace: str,
    pod: str,
    argv: Sequence[str],
    *,
    stdin: bytes | None,
    on_output: ChannelCallback,
    close_stdin: bool = True,
) -> ExecResult:
    """Run `argv` in the pod, streaming its output; returns when the command ends (or the
    stream closes). Raises aiohttp errors (handshake refused, connection lost) as is."""
    connecting = await api.core_ws.connect_get_namespaced_pod_exec(
        pod,
        namespace,
        command=list(argv),
        container=CONTAINER,
        stdin=True,
        stdout=True,
        stderr=True,
        tty=False,
        _preload_content=False,
        _headers={"sec-websocket-protocol": f"{V5},{V4}"},
    )
    async with connecting as ws:
        # WsApiClient sets the protocol header itself, so aiohttp does not parse the
        # answer into ws.protocol: read the negotiated one from the handshake response.
        protocol = ws._response.headers.get("Sec-WebSocket-Protocol")
        if stdin:
            for start in range(0, len(stdin), _CHUNK):
                await ws.send_bytes(bytes([STDIN]) + stdin[start : start + _CHUNK])
        if close_stdin and protocol == V5:
            await ws.send_bytes(bytes([CLOSE, STDIN]))
        exit_code: int | None = None
        async for message in ws:
            if message.type != aiohttp.WSMsgType.BINARY or not message.data:
                continue
            channel, data = message.data[0], message.data[1:]
            if channel in (STDOUT, STDERR) and data:
                await on_output(channel, data)
            elif channel == ERROR and data:
                exit_code = exit_code_of(json.loads(data))
        return ExecResult(exit_code, protocol)
