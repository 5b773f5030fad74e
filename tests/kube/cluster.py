"""The stand-in cluster's state: pods as the API returns them, their watch events, a
simulated kubelet that starts (or fails) them, and the faults a test asks for."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import os
import re
import secrets
import shutil
import signal
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.kube.selectors import field_matcher, label_matcher

NODE = "stand-in-node-1"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiStatus(Exception):
    """An API error answered as a `Status` object with this HTTP code and reason."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def body(self) -> dict[str, Any]:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }


@dataclass
class Fault:
    """Answer `times` requests matching `method` and `path` (a regex) with `status`."""

    method: str
    path: str
    status: int
    times: int = 1
    reason: str = "InternalError"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Watcher:
    labels: Callable[[dict[str, str]], bool]
    fields: Callable[[dict[str, Any]], bool]
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = field(default_factory=asyncio.Queue)

    def wants(self, pod: dict[str, Any]) -> bool:
        return self.labels(pod["metadata"].get("labels") or {}) and self.fields(pod)


class Cluster:
    """One namespace-aware pod store. Tests steer it through the attributes below."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="duet-kube-"))
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        self.history: list[tuple[int, str, dict[str, Any]]] = []
        self.watchers: list[Watcher] = []
        self._versions = itertools.count(1)
        self.processes: dict[tuple[str, str], set[asyncio.subprocess.Process]] = {}
        self._kubelets: set[asyncio.Task[None]] = set()
        # Steering: images that fail to pull (image -> waiting reason), whether nothing
        # can be scheduled, how long a container takes to start, which exec protocols
        # the API offers, pod metrics, and faults to answer requests with.
        self.image_failures: dict[str, str] = {}
        self.unschedulable = False
        self.start_delay = 0.0
        self.hold_start = asyncio.Event()
        self.hold_start.set()
        self.exec_protocols = ("v5.channel.k8s.io", "v4.channel.k8s.io")
        self.metrics: dict[str, dict[str, str]] = {}
        self.faults: list[Fault] = []
        # Every request seen, as (method, path), for tests that count API calls.
        self.requests: list[tuple[str, str]] = []

    # -- faults ----------------------------------------------------------------------------

    def fail(self, method: str, path: str, status: int, times: int = 1, **kw: Any) -> Fault:
        fault = Fault(method.upper(), path, status, times, **kw)
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and re.search(fault.path, path):
                fault.times -= 1
                return fault
        return None

    # -- reading ---------------------------------------------------------------------------

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        pod = self.pods.get((namespace, name))
        if pod is None:
            raise ApiStatus(404, "NotFound", f'pods "{name}" not found')
        return pod

    def list(
        self, namespace: str, labels: str | None = None, fields: str | None = None
    ) -> list[dict[str, Any]]:
        by_labels, by_fields = label_matcher(labels), field_matcher(fields)
        return [
            pod
            for (ns, _), pod in sorted(self.pods.items())
            if ns == namespace and by_labels(pod["metadata"].get("labels") or {}) and by_fields(pod)
        ]

    @property
    def resource_version(self) -> str:
        return str(self.history[-1][0]) if self.history else "0"

    def names(self, namespace: str = "duet-runs", labels: str | None = None) -> list[str]:
        return [pod["metadata"]["name"] for pod in self.list(namespace, labels)]

    # -- writing ---------------------------------------------------------------------------

    def _publish(self, kind: str, pod: dict[str, Any]) -> None:
        version = next(self._versions)
        pod["metadata"]["resourceVersion"] = str(version)
        snapshot = copy.deepcopy(pod)
        self.history.append((version, kind, snapshot))
        for watcher in self.watchers:
            if watcher.wants(snapshot):
                watcher.queue.put_nowait((kind, snapshot))

    def create(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        metadata = body.setdefault("metadata", {})
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = metadata["generateName"] + secrets.token_hex(3)[:5]
        name = metadata.get("name") or ""
        if not _NAME.match(name) or len(name) > 63:
            raise ApiStatus(422, "Invalid", f'Pod "{name}" is invalid: metadata.name')
        if (namespace, name) in self.pods:
            raise ApiStatus(409, "AlreadyExists", f'pods "{name}" already exists')
        containers = body.get("spec", {}).get("containers") or []
        if not containers or not containers[0].get("image"):
            raise ApiStatus(422, "Invalid", "spec.containers[0].image: Required value")
        metadata.update(namespace=namespace, uid=str(uuid.uuid4()), creationTimestamp=_now())
        body["kind"], body["apiVersion"] = "Pod", "v1"
        body["status"] = {"phase": "Pending", "qosClass": "Guaranteed"}
        self.pods[(namespace, name)] = body
        (self.root / namespace / name).mkdir(parents=True, exist_ok=True)
        self._publish("ADDED", body)
        task = asyncio.get_running_loop().create_task(self._kubelet(namespace, name))
        self._kubelets.add(task)
        task.add_done_callback(self._kubelets.discard)
        return body

    def patch(self, namespace: str, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        pod = self.get(namespace, name)
        wanted = (patch.get("metadata") or {}).get("resourceVersion")
        if wanted is not None and wanted != pod["metadata"]["resourceVersion"]:
            raise ApiStatus(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on pods "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
            )
        spec_patch = patch.get("spec") or {}
        for key, value in spec_patch.items():
            old = pod["spec"].get(key)
            # Like the real API: only a pod's deadline may change, and only downwards.
            if key != "activeDeadlineSeconds" or value is None or (old and value > old):
                raise ApiStatus(
                    422,
                    "Invalid",
                    f'Pod "{name}" is invalid: spec: Forbidden: pod updates '
                    "may not change fields other than activeDeadlineSeconds (decrease only)",
                )
        merged = _merge(copy.deepcopy(pod), {k: v for k, v in patch.items() if k != "status"})
        merged["metadata"]["resourceVersion"] = pod["metadata"]["resourceVersion"]
        self.pods[(namespace, name)] = merged
        self._publish("MODIFIED", merged)
        return merged

    async def delete(self, namespace: str, name: str) -> dict[str, Any]:
        pod = self.get(namespace, name)
        del self.pods[(namespace, name)]
        await self.kill_processes(namespace, name)
        shutil.rmtree(self.root / namespace / name, ignore_errors=True)
        self._publish("DELETED", pod)
        return pod

    def set_status(self, namespace: str, name: str, **status: Any) -> None:
        pod = self.pods.get((namespace, name))
        if pod is None:
            return
        pod["status"].update(status)
        self._publish("MODIFIED", pod)

    async def fail_pod(self, namespace: str, name: str, reason: str, message: str) -> None:
        """The kubelet ends the pod (activeDeadlineSeconds passed, eviction)."""
        await self.kill_processes(namespace, name)
        self.set_status(namespace, name, phase="Failed", reason=reason, message=message)

    async def oom_kill(self, namespace: str, name: str) -> None:
        """The container went over its memory limit: the kernel kills it (cgroup v2 kills
        the whole container), the kubelet records OOMKilled and, restartPolicy Never, the
        pod fails."""
        pod = self.get(namespace, name)
        container = pod["spec"]["containers"][0]
        self.set_status(namespace, name, phase="Failed", containerStatuses=[{
            "name": container["name"], "image": container["image"], "imageID": "",
            "ready": False, "restartCount": 0,
            "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}])  # fmt: skip
        await self.kill_processes(namespace, name)

    # -- the kubelet -----------------------------------------------------------------------

    async def _kubelet(self, namespace: str, name: str) -> None:
        await asyncio.sleep(0)
        pod = self.pods.get((namespace, name))
        if pod is None:
            return
        if self.unschedulable:
            self.set_status(
                namespace,
                name,
                conditions=[
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": "0/1 nodes are available: 1 Insufficient memory.",
                    }
                ],
            )
            return
        pod["spec"]["nodeName"] = NODE
        image = pod["spec"]["containers"][0]["image"]
        container = pod["spec"]["containers"][0]["name"]
        self.set_status(
            namespace,
            name,
            hostIP="10.0.0.1",
            startTime=_now(),
            conditions=[{"type": "PodScheduled", "status": "True"}],
            containerStatuses=[
                {
                    "name": container,
                    "image": image,
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                }
            ],
        )
        if image in self.image_failures:
            reason = self.image_failures[image]
            self.set_status(
                namespace,
                name,
                containerStatuses=[
                    {
                        "name": container,
                        "image": image,
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "state": {
                            "waiting": {
                                "reason": reason,
                                "message": f'Failed to pull image "{image}": not found',
                            }
                        },
                    }
                ],
            )
            return
        await self.hold_start.wait()
        if self.start_delay:
            await asyncio.sleep(self.start_delay)
        if (namespace, name) not in self.pods:
            return
        self.set_status(
            namespace,
            name,
            phase="Running",
            podIP="10.1.0.7",
            conditions=[
                {"type": "PodScheduled", "status": "True"},
                {"type": "Ready", "status": "True"},
            ],
            containerStatuses=[
                {
                    "name": container,
                    "image": image,
                    "ready": True,
                    "imageID": f"{image}@sha256:{'0' * 64}",
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": _now()}},
                }
            ],
        )

    # -- exec'd processes ------------------------------------------------------------------

    def pod_dir(self, namespace: str, name: str) -> Path:
        return self.root / namespace / name

    def track(self, namespace: str, name: str, proc: asyncio.subprocess.Process) -> None:
        self.processes.setdefault((namespace, name), set()).add(proc)

    def untrack(self, namespace: str, name: str, proc: asyncio.subprocess.Process) -> None:
        self.processes.get((namespace, name), set()).discard(proc)

    def live_processes(self, namespace: str, name: str) -> int:
        return sum(
            1 for proc in self.processes.get((namespace, name), ()) if proc.returncode is None
        )

    async def kill_processes(self, namespace: str, name: str) -> None:
        for proc in list(self.processes.pop((namespace, name), ())):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    async def close(self) -> None:
        for task in list(self._kubelets):
            task.cancel()
        for namespace, name in list(self.processes):
            await self.kill_processes(namespace, name)
        shutil.rmtree(self.root, ignore_errors=True)


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386): null deletes, objects merge, the rest replaces."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target
