"""What `GET /sessions/{id}/runtime` reports about a session's pod."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException

from runner.kubernetes import podstatus
from runner.kubernetes.api import KubeApi
from runner.kubernetes.pods import PodManager
from runner.kubernetes.podspec import LANGUAGE
from runner.sandbox import no_runtime


def pod_state(pod: dict[str, Any]) -> str:
    if podstatus.failure(pod):
        return "failed"
    if podstatus.is_ready(pod):
        return "ready"
    if pod["metadata"].get("deletionTimestamp"):
        return "terminating"
    return "pending"


async def describe_session_pod(api: KubeApi, pods: PodManager, session_id: str) -> dict[str, Any]:
    found = await pods.session_pods(session_id)
    if not found:
        return no_runtime("kubernetes", "none")
    pod = found[0]
    name = pod["metadata"]["name"]
    failed = podstatus.failure(pod)
    return {
        "backend": "kubernetes",
        "state": pod_state(pod),
        "pod": name,
        "node": pod["spec"].get("nodeName"),
        "language": (pod["metadata"].get("labels") or {}).get(LANGUAGE),
        "image": pod["spec"]["containers"][0]["image"],
        "ageSeconds": int(time.time() - podstatus.created_at(pod)),
        "failure": {"reason": failed.reason, "message": failed.message} if failed else None,
        "usage": await pod_usage(api, pods.namespace, name),
    }


async def pod_usage(api: KubeApi, namespace: str, name: str) -> dict[str, str] | None:
    """CPU and memory from the metrics API, when the cluster has it (metrics-server) and
    the server may read it; None otherwise."""
    try:
        metrics = await api.custom.get_namespaced_custom_object(
            "metrics.k8s.io", "v1beta1", namespace, "pods", name
        )
    except (ApiException, aiohttp.ClientError, OSError):
        return None
    containers = metrics.get("containers") or [{}]
    return dict(containers[0].get("usage") or {}) or None
