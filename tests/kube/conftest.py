"""Fixtures for the Kubernetes backend: the stand-in API, and an app whose runner uses it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.app import create_app
from server.config import Settings
from tests.kube.apiserver import StandIn, running_stand_in
from tests.peers import eventually
from tests.runs_helpers import RunPeer

POD_EVENTS = ("pod_pending", "pod_progress", "pod_ready", "pod_failed", "run_error")
NAMESPACE = "duet-runs"


class KubePeer(RunPeer):
    """A room client that also records the pod lifecycle events and run errors."""

    def __init__(self) -> None:
        super().__init__()
        for name in POD_EVENTS:
            self.sio.on(name, self._run_recorder(name))

    async def wait_event(self, name: str, within: float = 20.0) -> dict[str, Any]:
        await eventually(lambda: bool(self.events[name]), within, name)
        return self.events[name][-1]


@pytest.fixture
async def kube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[StandIn]:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    async with running_stand_in(tmp_path) as stand_in:
        monkeypatch.setenv("KUBECONFIG", str(stand_in.kubeconfig))
        yield stand_in


def kube_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"runner": "kubernetes", **changes})


@pytest.fixture
async def kube_client(aiohttp_client: Any, settings: Settings, kube: StandIn) -> Any:
    """An app on the Kubernetes runner, and `client.peer(token)` for room clients."""
    return await app_on_kube(aiohttp_client, kube_settings(settings))


async def app_on_kube(aiohttp_client: Any, settings: Settings) -> Any:
    client = await aiohttp_client(create_app(settings))
    peers: list[KubePeer] = []

    async def peer(token: str) -> KubePeer:
        made = KubePeer()
        peers.append(made)
        await made.connect(str(client.make_url("/")), token)
        return made

    async def close_peers() -> None:
        for made in peers:
            await made.disconnect()

    client.peer = peer
    client.on_close = close_peers
    return client
