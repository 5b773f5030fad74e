"""The HTTP side of the stand-in: the pod routes kubernetes-asyncio calls, answered with
the JSON (and `Status` errors) a real API server sends, plus a kubeconfig pointing at it.

    async with running_stand_in() as kube:      # kube.cluster steers it, kube.kubeconfig
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.kube.cluster import ApiStatus, Cluster, Watcher
from tests.kube.exec import handle_exec
from tests.kube.selectors import field_matcher, label_matcher

CLUSTER = web.AppKey("cluster", Cluster)
_PODS = "/api/v1/namespaces/{namespace}/pods"
_POD = _PODS + "/{name}"


def status_response(error: ApiStatus, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(error.body(), status=error.code, headers=headers)


@web.middleware
async def api_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    cluster = request.app[CLUSTER]
    cluster.requests.append((request.method, request.path))
    fault = cluster.take_fault(request.method, request.path)
    if fault is not None:
        message = {
            403: 'pods is forbidden: User "system:serviceaccount:duet:duet" cannot '
            'create resource "pods" in API group "" in the namespace',
            409: "Operation cannot be fulfilled: the object has been modified",
            429: "Too many requests, please try again later.",
        }.get(fault.status, "Internal error occurred: etcdserver: request timed out")
        return status_response(ApiStatus(fault.status, fault.reason, message), fault.headers)
    try:
        return await handler(request)
    except ApiStatus as error:
        return status_response(error)


def _pod_list(cluster: Cluster, pods: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": cluster.resource_version},
        "items": pods,
    }


async def create_pod(request: web.Request) -> web.Response:
    body = await request.json()
    pod = request.app[CLUSTER].create(request.match_info["namespace"], body)
    return web.json_response(pod, status=201)


async def list_pods(request: web.Request) -> web.StreamResponse:
    cluster = request.app[CLUSTER]
    namespace = request.match_info["namespace"]
    labels, fields = request.query.get("labelSelector"), request.query.get("fieldSelector")
    if request.query.get("watch") in ("true", "1", "True"):
        return await _watch(request, cluster, namespace, labels, fields)
    return web.json_response(_pod_list(cluster, cluster.list(namespace, labels, fields)))


async def _watch(
    request: web.Request, cluster: Cluster, namespace: str, labels: str | None, fields: str | None
) -> web.StreamResponse:
    watcher = Watcher(label_matcher(labels), field_matcher(fields))
    in_namespace = watcher.fields
    watcher.fields = lambda pod: pod["metadata"]["namespace"] == namespace and in_namespace(pod)
    since = request.query.get("resourceVersion")
    if since and since != "0":
        backlog = [
            (kind, pod)
            for version, kind, pod in cluster.history
            if version > int(since) and watcher.wants(pod)
        ]
    else:
        backlog = [("ADDED", pod) for pod in cluster.list(namespace, labels, fields)]
    for item in backlog:
        watcher.queue.put_nowait(item)
    cluster.watchers.append(watcher)
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    timeout = float(request.query.get("timeoutSeconds", "1800"))
    try:
        async with asyncio.timeout(timeout):
            while True:
                kind, pod = await watcher.queue.get()
                line = json.dumps({"type": kind, "object": pod}) + "\n"
                await response.write(line.encode())
    except (TimeoutError, ConnectionError):
        pass
    finally:
        cluster.watchers.remove(watcher)
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
    return response


async def get_pod(request: web.Request) -> web.Response:
    cluster = request.app[CLUSTER]
    return web.json_response(
        cluster.get(request.match_info["namespace"], request.match_info["name"])
    )


async def patch_pod(request: web.Request) -> web.Response:
    patch = await request.json()
    if isinstance(patch, list):
        raise ApiStatus(415, "UnsupportedMediaType", "the stand-in only takes merge patches")
    pod = request.app[CLUSTER].patch(
        request.match_info["namespace"], request.match_info["name"], patch
    )
    return web.json_response(pod)


async def delete_pod(request: web.Request) -> web.Response:
    pod = await request.app[CLUSTER].delete(
        request.match_info["namespace"], request.match_info["name"]
    )
    return web.json_response(pod)


async def exec_pod(request: web.Request) -> web.StreamResponse:
    return await handle_exec(request, request.app[CLUSTER])


async def pod_metrics(request: web.Request) -> web.Response:
    cluster = request.app[CLUSTER]
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    cluster.get(namespace, name)
    usage = cluster.metrics.get(name)
    if usage is None:
        raise ApiStatus(404, "NotFound", f'podmetrics.metrics.k8s.io "{name}" not found')
    container = cluster.get(namespace, name)["spec"]["containers"][0]["name"]
    return web.json_response(
        {
            "kind": "PodMetrics",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": name, "namespace": namespace},
            "window": "15s",
            "containers": [{"name": container, "usage": usage}],
        }
    )


def create_stand_in(cluster: Cluster) -> web.Application:
    app = web.Application(middlewares=[api_errors])
    app[CLUSTER] = cluster
    app.router.add_post(_PODS, create_pod)
    app.router.add_get(_PODS, list_pods)
    app.router.add_get(_POD, get_pod)
    app.router.add_patch(_POD, patch_pod)
    app.router.add_delete(_POD, delete_pod)
    app.router.add_get(_POD + "/exec", exec_pod)
    app.router.add_post(_POD + "/exec", exec_pod)
    app.router.add_get(
        "/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}", pod_metrics
    )
    return app


def write_kubeconfig(path: Path, server: str, namespace: str = "duet-runs") -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "stand-in",
        "clusters": [{"name": "stand-in", "cluster": {"server": server}}],
        "users": [{"name": "duet", "user": {"token": "stand-in-token"}}],
        "contexts": [
            {
                "name": "stand-in",
                "context": {"cluster": "stand-in", "user": "duet", "namespace": namespace},
            }
        ],
    }
    path.write_text(json.dumps(config))
    return path


@dataclass
class StandIn:
    cluster: Cluster
    url: str
    kubeconfig: Path
    runner: web.AppRunner


@contextlib.asynccontextmanager
async def running_stand_in(workdir: Path) -> AsyncIterator[StandIn]:
    cluster = Cluster(workdir / "cluster")
    runner = web.AppRunner(create_stand_in(cluster), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}"
    try:
        yield StandIn(cluster, url, write_kubeconfig(workdir / "kubeconfig", url), runner)
    finally:
        await cluster.close()
        await runner.cleanup()
