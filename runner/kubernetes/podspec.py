"""The pod a session runs in: locked down, sized from the language table.

The container only sleeps; every run is an exec into it. Nothing in the pod can write
outside two size-limited emptyDirs (/workspace and /tmp), talk to the API (no token),
gain privileges, or outlive its session (activeDeadlineSeconds).
"""

from __future__ import annotations

import math
from typing import Any

from runner.languages import Language
from runner.limits import MiB

WORKSPACE = "/workspace"
TMP = "/tmp"
CONTAINER = "runner"
# Labels: what the sweeps and the warm pool select on.
APP = "app.kubernetes.io/name"
MANAGED_BY = "app.kubernetes.io/managed-by"
ROLE = "duet.dev/role"
SESSION = "duet.dev/session"
LANGUAGE = "duet.dev/language"
EXPIRES = "duet.dev/expires-at"
# On a session's pod that came from the warm pool.
WARM = "duet.dev/warm"
OURS = f"{MANAGED_BY}=duet"
# Long enough for any session; the pod is deleted (or its deadline passes) long before.
SLEEP = ["sleep", "2147483647"]


def session_pod_name(session_id: str, language: str) -> str:
    # Deterministic, so two servers creating the same session's pod collide on the name
    # (409 AlreadyExists) instead of making two.
    return f"duet-{session_id}-{language}"


def _quantity_mib(size: int) -> str:
    return f"{math.ceil(size / MiB)}Mi"


def pod_resources(language: Language) -> dict[str, str]:
    """The container's requests and limits: what a run of this language may use."""
    limits = language.limits
    # cpu_time_s per wall second caps nothing useful; one core is what a run may use.
    return {
        "cpu": "1",
        "memory": _quantity_mib(limits.memory_bytes),
        "ephemeral-storage": _quantity_mib(2 * limits.workspace_bytes + 64 * MiB),
    }


def pod_manifest(
    *,
    language: Language,
    image: str,
    labels: dict[str, str],
    deadline_s: int,
    uid: int,
    runtime_class: str | None,
    name: str | None = None,
    generate_name: str | None = None,
) -> dict[str, Any]:
    limits = language.limits
    resources = pod_resources(language)
    metadata: dict[str, Any] = {
        "labels": {APP: "duet-runner", MANAGED_BY: "duet", LANGUAGE: language.name, **labels}
    }
    if name:
        metadata["name"] = name
    else:
        metadata["generateName"] = generate_name
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "activeDeadlineSeconds": max(1, deadline_s),
        "terminationGracePeriodSeconds": 0,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": uid,
            "runAsGroup": uid,
            "fsGroup": uid,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": CONTAINER,
                "image": image,
                "command": SLEEP,
                "workingDir": WORKSPACE,
                "env": [{"name": key, "value": value} for key, value in language.env.items()]
                + [{"name": "HOME", "value": WORKSPACE}, {"name": "TMPDIR", "value": TMP}],
                "resources": {"limits": resources, "requests": resources},
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": uid,
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "volumeMounts": [
                    {"name": "workspace", "mountPath": WORKSPACE},
                    {"name": "tmp", "mountPath": TMP},
                ],
            }
        ],
        "volumes": [
            {"name": "workspace", "emptyDir": {"sizeLimit": _quantity_mib(limits.workspace_bytes)}},
            {"name": "tmp", "emptyDir": {"sizeLimit": _quantity_mib(limits.workspace_bytes)}},
        ],
    }
    if runtime_class:
        spec["runtimeClassName"] = runtime_class
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
