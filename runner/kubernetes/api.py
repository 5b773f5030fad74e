"""Reaching the API server: in-cluster service account, or a kubeconfig (KUBECONFIG).

Two clients share one Configuration: the REST one, and kubernetes-asyncio's WsApiClient,
whose requests become WebSockets (exec). Pods are handled as plain dicts in the API's own
camelCase JSON, so the code reads like the manifests in deploy/kubernetes/.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from kubernetes_asyncio import client, config
from kubernetes_asyncio.stream import WsApiClient


@dataclass
class KubeApi:
    rest: client.ApiClient
    ws: WsApiClient
    core: client.CoreV1Api
    core_ws: client.CoreV1Api
    custom: client.CustomObjectsApi
    host: str

    def as_dict(self, model: Any) -> dict[str, Any]:
        return self.rest.sanitize_for_serialization(model)

    async def close(self) -> None:
        await self.ws.close()
        await self.rest.close()


async def load_configuration(kubeconfig: str | None) -> client.Configuration:
    configuration = client.Configuration()
    if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config(client_configuration=configuration)
    else:
        await config.load_kube_config(
            config_file=kubeconfig or os.environ.get("KUBECONFIG"),
            client_configuration=configuration,
            persist_config=False,
        )
    return configuration


def connect(configuration: client.Configuration) -> KubeApi:
    rest = client.ApiClient(configuration)
    ws = WsApiClient(configuration)
    return KubeApi(
        rest=rest,
        ws=ws,
        core=client.CoreV1Api(rest),
        core_ws=client.CoreV1Api(ws),
        custom=client.CustomObjectsApi(rest),
        host=configuration.host,
    )
