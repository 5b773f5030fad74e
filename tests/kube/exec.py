"""The exec WebSocket (`pods/{name}/exec`): the channel protocols v4 and v5.channel.k8s.io.

Every binary frame starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the error
channel (one `Status` JSON when the command ends, carrying its exit code), and in v5 only
255 "close", whose next byte names the channel the client closes (0: stdin EOF). The
command runs as a local process with the pod's volumes mapped to its directory; like a
real container runtime, closing the stream does not stop it, deleting the pod does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from typing import Any

from aiohttp import WSMsgType, web

from runner.languages import PYTHON_EXE, SANDBOX_PATH
from tests.kube.cluster import ApiStatus, Cluster

STDIN, STDOUT, STDERR, ERROR, CLOSE = 0, 1, 2, 3, 255
_READ_SIZE = 32 * 1024
_PATH = f"{os.path.dirname(PYTHON_EXE)}:{SANDBOX_PATH}"


# The container's writable paths. They are always mapped into the pod's directory, even
# for a pod whose spec forgot to mount them, so no exec'd command can reach the host's
# own /tmp through them (the commands delete what they find there).
ALWAYS_MAPPED = ("/workspace", "/tmp")


def volume_paths(cluster: Cluster, pod: dict[str, Any]) -> dict[str, str]:
    """Each mount path of the first container -> the local directory standing in for it."""
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    mapped = {}
    mounts = pod["spec"]["containers"][0].get("volumeMounts") or []
    named = {m["mountPath"].rstrip("/"): m["name"] for m in mounts}
    for path in ALWAYS_MAPPED:
        named.setdefault(path, "unmounted" + path.replace("/", "-"))
    for mount_path, volume in named.items():
        local = cluster.pod_dir(ns, name) / "volumes" / volume
        local.mkdir(parents=True, exist_ok=True)
        mapped[mount_path] = str(local)
    return mapped


def map_paths(arg: str, mapped: dict[str, str]) -> str:
    if not mapped:
        return arg
    # One pass, longest mount first, so a mapped path is never mapped again.
    mounts = "|".join(re.escape(m) for m in sorted(mapped, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.-])({mounts})(?=/|$|[\s'\";&|)<>])")
    return pattern.sub(lambda match: mapped[match.group(1)], arg)


def container_env(pod: dict[str, Any], mapped: dict[str, str], cwd: str) -> dict[str, str]:
    """What an exec'd process inherits: the image's PATH (here, the host's) and the
    container's `env`, its paths mapped like the command's."""
    env = {"PATH": _PATH, "HOME": cwd, "LANG": "C.UTF-8"}
    for item in pod["spec"]["containers"][0].get("env") or []:
        env[item["name"]] = map_paths(str(item.get("value", "")), mapped)
    return env


def exit_status(code: int, command: list[str]) -> dict[str, Any]:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "reason": "NonZeroExitCode",
        "message": f"command terminated with non-zero exit code: error executing command "
        f"{command}, exit code {code}",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


async def handle_exec(request: web.Request, cluster: Cluster) -> web.StreamResponse:
    ns, name = request.match_info["namespace"], request.match_info["name"]
    pod = cluster.get(ns, name)
    if pod["status"].get("phase") != "Running":
        raise ApiStatus(400, "BadRequest", f"pod {name} is not running: cannot exec")
    command = request.query.getall("command", [])
    if not command:
        raise ApiStatus(400, "BadRequest", "you must specify at least one command")
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    chosen = next((p for p in offered if p in cluster.exec_protocols), None)
    if chosen is None:
        raise ApiStatus(400, "BadRequest", f"no supported exec protocol among {offered}")
    ws = web.WebSocketResponse(protocols=[chosen], max_msg_size=0)
    await ws.prepare(request)
    mapped = volume_paths(cluster, pod)
    workdir = pod["spec"]["containers"][0].get("workingDir")
    cwd = map_paths(workdir, mapped) if workdir else str(cluster.pod_dir(ns, name))
    argv = [map_paths(arg, mapped) for arg in command]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
            env=container_env(pod, mapped, cwd),
            start_new_session=True,
        )
    except OSError as error:
        status = {
            "metadata": {},
            "status": "Failure",
            "reason": "InternalError",
            "message": f'exec: "{command[0]}": {error.strerror}',
        }
        await ws.send_bytes(bytes([ERROR]) + json.dumps(status).encode())
        await ws.close()
        return ws
    cluster.track(ns, name, proc)
    assert proc.stdin and proc.stdout and proc.stderr

    async def pump(channel: int, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(_READ_SIZE):
            if not ws.closed:
                with contextlib.suppress(ConnectionError):
                    await ws.send_bytes(bytes([channel]) + chunk)

    def close_stdin() -> None:
        if proc.stdin and not proc.stdin.is_closing():
            proc.stdin.close()

    async def read_client() -> None:
        async for message in ws:
            if message.type != WSMsgType.BINARY or not message.data:
                continue
            channel, data = message.data[0], message.data[1:]
            if channel == STDIN and data:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    proc.stdin.write(data)  # type: ignore[union-attr]
                    await proc.stdin.drain()  # type: ignore[union-attr]
            elif channel == CLOSE and chosen.startswith("v5") and data[:1] == bytes([STDIN]):
                close_stdin()
        # The client went away: its stdin ends, the process carries on.
        close_stdin()

    pumps = [
        asyncio.create_task(pump(STDOUT, proc.stdout)),
        asyncio.create_task(pump(STDERR, proc.stderr)),
    ]
    reader = asyncio.create_task(read_client())
    try:
        code = await proc.wait()
        await asyncio.gather(*pumps)
        exit_code = code if code >= 0 else 128 - code
        if not ws.closed:
            with contextlib.suppress(ConnectionError):
                await ws.send_bytes(
                    bytes([ERROR]) + json.dumps(exit_status(exit_code, command)).encode()
                )
            await ws.close()
    finally:
        reader.cancel()
        for task in pumps:
            task.cancel()
        await asyncio.gather(reader, *pumps, return_exceptions=True)
        cluster.untrack(ns, name, proc)
    return ws
