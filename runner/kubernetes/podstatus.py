"""Reading a pod (the API's JSON as a dict): is it ready, failed (and why), or how far along."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Waiting reasons after which the container will not start without someone changing
# something (the image, the spec): reported at once rather than after the start timeout.
_FATAL_WAITING = {
    "ErrImagePull": "image pull error",
    "ImagePullBackOff": "image pull error",
    "InvalidImageName": "invalid image name",
    "ErrImageNeverPull": "image pull error",
    "CreateContainerConfigError": "container configuration error",
    "CreateContainerError": "container could not be created",
    "RunContainerError": "container could not be started",
    "CrashLoopBackOff": "container keeps crashing",
}


@dataclass(frozen=True)
class PodFailure:
    reason: str
    message: str


def _condition(pod: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == kind:
            return condition
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    ready = _condition(pod, "Ready")
    return (
        pod.get("status", {}).get("phase") == "Running"
        and ready is not None
        and ready.get("status") == "True"
        and not pod["metadata"].get("deletionTimestamp")
    )


def failure(pod: dict[str, Any]) -> PodFailure | None:
    status = pod.get("status", {})
    phase = status.get("phase")
    if phase in ("Failed", "Succeeded"):
        reason = status.get("reason") or ("ContainerExited" if phase == "Succeeded" else "Failed")
        text = {
            "DeadlineExceeded": "the pod reached its deadline (the session's end)",
            "Evicted": "the pod was evicted from its node",
        }.get(reason, f"the pod {phase.lower()}")
        detail = status.get("message")
        return PodFailure(reason, f"{text}: {detail}" if detail else text)
    scheduled = _condition(pod, "PodScheduled")
    if (
        scheduled
        and scheduled.get("status") == "False"
        and scheduled.get("reason") == "Unschedulable"
    ):
        return PodFailure(
            "Unschedulable",
            f"no node can run the pod: {scheduled.get('message') or 'unschedulable'}",
        )
    for container in status.get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in _FATAL_WAITING:
            detail = waiting.get("message") or reason
            return PodFailure(reason, f"{_FATAL_WAITING[reason]}: {detail}")
        terminated = (container.get("state") or {}).get("terminated")
        if terminated:
            return PodFailure(
                terminated.get("reason") or "ContainerExited",
                f"the container exited ({terminated.get('exitCode')})",
            )
    return None


def oom_killed(pod: dict[str, Any]) -> bool:
    """Whether the container was killed for going over its memory limit."""
    for container in pod.get("status", {}).get("containerStatuses") or []:
        for state in (container.get("state"), container.get("lastState")):
            if ((state or {}).get("terminated") or {}).get("reason") == "OOMKilled":
                return True
    return False


def progress(pod: dict[str, Any]) -> str:
    """A line for the room while the pod starts."""
    status = pod.get("status", {})
    scheduled = _condition(pod, "PodScheduled")
    if not pod.get("spec", {}).get("nodeName") and not (
        scheduled and scheduled.get("status") == "True"
    ):
        return "waiting for a node"
    for container in status.get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") == "ContainerCreating":
            return f"pulling {container.get('image')} and starting the container"
        if waiting.get("reason"):
            return f"container waiting: {waiting['reason']}"
        if (container.get("state") or {}).get("running"):
            return "container started, waiting for readiness"
    return f"scheduled on {pod['spec'].get('nodeName')}"


def created_at(pod: dict[str, Any]) -> float:
    """Epoch seconds of the pod's creation (now, if the API has not said)."""
    stamp = pod["metadata"].get("creationTimestamp")
    if not stamp:
        return time.time()
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).astimezone(UTC).timestamp()
