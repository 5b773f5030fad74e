"""Helpers for the run tests: a Socket.IO client that records the run events, and REST
calls that start a run and wait for its end."""

from __future__ import annotations

from typing import Any

from tests.conftest import bearer
from tests.peers import JsonPeer, eventually

RUN_EVENTS = ("run_started", "run_output", "run_finished")


class RunPeer(JsonPeer):
    """A JSON Socket.IO client that also records the run events, in arrival order."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[str, Any]] = []
        for name in RUN_EVENTS:
            self.sio.on(name, self._run_recorder(name))

    def _run_recorder(self, name: str) -> Any:
        async def record(data: Any = None) -> None:
            self.events[name].append(data)
            self.arrivals.append((name, data))

        return record

    def of_run(self, name: str, run_id: str) -> list[dict[str, Any]]:
        return [event for event in self.events[name] if event["runId"] == run_id]

    def finished(self, run_id: str) -> dict[str, Any] | None:
        found = self.of_run("run_finished", run_id)
        return found[0] if found else None

    def output(self, run_id: str, stream: str = "stdout") -> str:
        return "".join(
            e["data"] for e in self.of_run("run_output", run_id) if e["stream"] == stream
        )

    async def wait_finished(self, run_id: str, within: float = 40.0) -> dict[str, Any]:
        await eventually(lambda: self.finished(run_id) is not None, within, f"{run_id} finished")
        return self.finished(run_id)  # type: ignore[return-value]


async def start_run(client: Any, session_id: str, token: str, **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/sessions/{session_id}/runs", json=body, headers=bearer(token)
    )
    assert response.status == 202, await response.text()
    return (await response.json())["data"]


async def get_run(client: Any, session_id: str, token: str, run_id: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/sessions/{session_id}/runs/{run_id}", headers=bearer(token)
    )
    assert response.status == 200, await response.text()
    return (await response.json())["data"]
