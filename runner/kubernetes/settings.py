"""What the Kubernetes backend can be told: namespace, images, pools, timeouts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from runner.languages import LANGUAGES


def parse_language_map(text: str, what: str) -> dict[str, str]:
    """`"python=2,javascript=1"` -> {"python": "2", ...}; ValueError names the bad part."""
    parsed: dict[str, str] = {}
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise ValueError(f"{what}: {part!r} is not language=value")
        if name not in LANGUAGES or not LANGUAGES[name].runnable:
            raise ValueError(f"{what}: {name!r} is not a runnable language")
        parsed[name] = value
    return parsed


def parse_warm_pool(text: str) -> dict[str, int]:
    sizes = {}
    for name, value in parse_language_map(text, "DUET_K8S_WARM_POOL").items():
        if not value.isdigit() or int(value) > 100:
            raise ValueError(f"DUET_K8S_WARM_POOL: {name}={value} is not a count from 0 to 100")
        sizes[name] = int(value)
    return sizes


@dataclass(frozen=True)
class KubeSettings:
    namespace: str = "duet-runs"
    # e.g. "gvisor": a RuntimeClass giving the pods a stronger kernel boundary.
    runtime_class: str | None = None
    # Language -> image, over the language table's own.
    images: Mapping[str, str] = field(default_factory=dict)
    warm_pool: Mapping[str, int] = field(default_factory=dict)
    idle_timeout_s: float = 900.0
    start_timeout_s: float = 120.0
    # A pod outlives no session: this bounds how long a warm pod may wait to be claimed.
    max_pod_life_s: int = 86_400
    kubeconfig: str | None = None
    uid: int = 65532

    def image_for(self, language: str) -> str | None:
        chosen = self.images.get(language)
        return chosen or LANGUAGES[language].image
