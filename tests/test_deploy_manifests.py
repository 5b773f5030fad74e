"""The manifests in deploy/kubernetes/ and the runner pods the server creates carry the
security fields the design asks for, and point at things that exist (probe paths,
settings, labels)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.kubernetes.podspec import APP, pod_manifest
from runner.languages import LANGUAGES, get_language
from server.app import create_app
from server.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"


def documents() -> list[dict[str, Any]]:
    found = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        found.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return found


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [
        d
        for d in documents()
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(matches) == 1, (kind, name, len(matches))
    return matches[0]


def test_kustomization_lists_every_manifest():
    listed = set(one("Kustomization")["resources"])
    assert listed == {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}


def test_the_server_runs_replicated_with_probes_on_real_paths():
    deployment = one("Deployment", "duet-server")
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    paths = {
        route.resource.canonical
        for route in create_app(Settings()).router.routes()
        if route.resource is not None
    }
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready" in paths
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live" in paths
    assert pod["serviceAccountName"] == one("ServiceAccount")["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    labels = pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert one("Service")["spec"]["selector"].items() <= labels.items()
    hpa = one("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "duet-server"
    assert hpa["spec"]["minReplicas"] >= 2 and pod_labels


def test_the_role_allows_exactly_pods_exec_and_log_in_the_runner_namespace():
    config = one("ConfigMap", "duet-config")["data"]
    role = one("Role", "duet-runner")
    assert role["metadata"]["namespace"] == config["DUET_K8S_NAMESPACE"] == "duet-runs"
    resources = sorted(r for rule in role["rules"] for r in rule["resources"])
    assert resources == ["pods", "pods/exec", "pods/log"]
    assert all(rule["apiGroups"] == [""] for rule in role["rules"])
    assert not any("*" in rule["verbs"] for rule in role["rules"])
    binding = one("RoleBinding", "duet-runner")
    assert binding["roleRef"]["name"] == "duet-runner"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "duet-server", "namespace": "duet"}
    ]
    assert not [d for d in documents() if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]


def test_runner_pods_are_denied_all_traffic():
    policy = one("NetworkPolicy", "runner-default-deny")
    spec = policy["spec"]
    assert policy["metadata"]["namespace"] == "duet-runs"
    assert spec["podSelector"]["matchLabels"] == {APP: "duet-runner"}
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    assert not spec.get("ingress") and not spec.get("egress")


def test_the_config_map_only_sets_real_settings():
    fields = {f"DUET_{name.upper()}" for name in Settings.model_fields}
    config = one("ConfigMap", "duet-config")["data"]
    secret = one("Secret", "duet-backing")["stringData"]
    assert set(config) | set(secret) <= fields
    assert config["DUET_RUNNER"] == "kubernetes"
    Settings(**{key.removeprefix("DUET_").lower(): value for key, value in config.items()})


@pytest.mark.parametrize("name", [n for n, lang in LANGUAGES.items() if lang.runnable])
def test_runner_pods_are_locked_down(name):
    language = get_language(name)
    manifest = pod_manifest(
        language=language,
        image="img:1",
        labels={},
        deadline_s=600,
        uid=65532,
        runtime_class="gvisor",
        name="duet-x",
    )
    spec = manifest["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["automountServiceAccountToken"] is False
    assert spec["enableServiceLinks"] is False
    assert spec["activeDeadlineSeconds"] == 600
    assert spec["terminationGracePeriodSeconds"] == 0
    assert spec["runtimeClassName"] == "gvisor"
    assert manifest["metadata"]["labels"][APP] == "duet-runner"
    container = spec["containers"][0]
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] == 65532
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    limits = container["resources"]["limits"]
    assert set(limits) == {"cpu", "memory", "ephemeral-storage"}
    assert limits["memory"] == f"{language.limits.memory_bytes // (1024 * 1024)}Mi"
    mounted = {m["mountPath"] for m in container["volumeMounts"]}
    assert mounted == {"/workspace", "/tmp"}
    assert all(v["emptyDir"]["sizeLimit"] for v in spec["volumes"])


def test_no_runtime_class_unless_configured():
    manifest = pod_manifest(
        language=get_language("python"),
        image="i",
        labels={},
        deadline_s=5,
        uid=1000,
        runtime_class=None,
        name="x",
    )
    assert "runtimeClassName" not in manifest["spec"]
