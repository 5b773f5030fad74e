"""`duet serve` as a real process: embedded services, restart persistence, SIGTERM within
10 s, and logs that never contain a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import user
from tests.processes import ServerProcess, embedded_pids


@pytest.fixture
def data_dir(data_root: Path) -> Iterator[Path]:
    yield data_root / "data"


async def test_everything_survives_a_restart_and_sigterm_stops_cleanly(data_dir, tmp_path):
    log_path = tmp_path / "server.log"
    server = ServerProcess(data_dir, log_path)
    await server.wait_ready()
    assert embedded_pids(data_dir), "embedded postgres and redis run under the data dir"
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
    assert not embedded_pids(data_dir), "embedded services stop with the server"

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
