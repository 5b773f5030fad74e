"""`duet serve` as a real process: embedded services, restart persistence, SIGTERM within
10 s, and logs that never contain a token."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import psutil
import pytest

from tests.conftest import user


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    def __init__(self, data_dir: Path, log_path: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("DUET_")
        }
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
             "--data-dir", str(data_dir)],
            env=environment, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, "server exited during start-up"
                try:
                    async with http.get(f"{self.base}/health/ready") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("server did not become ready")

    def terminate(self) -> float:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)
        self.log.close()
        return time.monotonic() - started


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def _children_pids(pid: int) -> set[int]:
    return {child.pid for child in psutil.Process(pid).children(recursive=True)}


def _embedded_pids(data_dir: Path) -> set[int]:
    found = set()
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(data_dir) in command and ("postgres" in command or "redis-server" in command):
            found.add(process.pid)
    return found


async def test_everything_survives_a_restart_and_sigterm_stops_cleanly(data_dir, tmp_path):
    log_path = tmp_path / "server.log"
    server = ServerProcess(data_dir, log_path)
    await server.wait_ready()
    assert _embedded_pids(data_dir), "embedded postgres and redis run under the data dir"
    async with aiohttp.ClientSession(base_url=server.base) as http:
        creator = user("Persistent")
        async with http.post(
            "/api/v1/sessions",
            json={"creator": creator, "code": "print('kept')", "language": "python"},
        ) as response:
            created = await response.json()
        session_id, token = created["data"]["id"], created["token"]
        candidate_invite = created["invites"]["candidate"]["token"]
        async with http.post(
            f"/api/v1/sessions/{session_id}/join",
            json={"user": user("Cand")},
            headers={"Authorization": f"Bearer {candidate_invite}"},
        ) as response:
            candidate_token = (await response.json())["token"]
        async with http.get(f"/s/{session_id}?invite={candidate_invite}") as response:
            pass
        async with http.get(f"/api/v1/health?token={token}"):
            pass

    elapsed = server.terminate()
    assert server.process.returncode == 0
    assert elapsed < 10
    assert not _embedded_pids(data_dir), "embedded services stop with the server"

    log_text = log_path.read_text(errors="replace")
    for secret in (token, candidate_invite, candidate_token):
        assert secret not in log_text
    assert "[redacted]" in log_text

    again = ServerProcess(data_dir, tmp_path / "server2.log")
    try:
        await again.wait_ready()
        async with aiohttp.ClientSession(base_url=again.base) as http:
            for bearer_token in (token, candidate_token):
                async with http.get(
                    f"/api/v1/sessions/{session_id}",
                    headers={"Authorization": f"Bearer {bearer_token}"},
                ) as response:
                    assert response.status == 200
                    data = (await response.json())["data"]
            assert data["code"] == "print('kept')" and data["language"] == "python"
            assert [p["name"] for p in data["participants"]] == ["Persistent", "Cand"]
            async with http.post(
                f"/api/v1/sessions/{session_id}/join",
                json={"user": user("Late")},
                headers={"Authorization": f"Bearer {candidate_invite}"},
            ) as response:
                assert response.status == 200
    finally:
        again.terminate()
