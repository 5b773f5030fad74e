"""Settings, read once from `DUET_*` environment variables (see the README's table)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from runner.kubernetes.settings import KubeSettings, parse_language_map, parse_warm_pool


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUET_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="Postgres URL; unset starts an embedded Postgres"
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL; unset starts an embedded Redis"
    )
    data_dir: Path = Field(default=Path(".duet"), description="Embedded servers' data")
    session_ttl: int = Field(default=86_400, ge=1, description="Session lifetime in seconds")
    sweep_interval: int = Field(default=300, ge=1, description="Seconds between expiry sweeps")
    public_url: str | None = Field(
        default=None, description="Base URL for invite links; unset uses the request's host"
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS, or *"
    )
    max_code_bytes: int = Field(default=1_048_576, ge=1, description="Largest code, in bytes")
    max_document_bytes: int = Field(
        default=4 * 1_048_576,
        ge=1,
        description="Largest encoded Yjs document (code, meta and edit history), in bytes; "
        "a Yjs update that would grow it past this is refused. Keep it under the 8 MiB a "
        "connection may have queued, or new clients could not sync",
    )
    db_pool_size: int = Field(
        default=8, ge=1, description="Postgres connections per server process"
    )
    snapshot_delay: float = Field(
        default=2.0, gt=0, description="Seconds after an edit by which a snapshot is stored"
    )
    room_idle_seconds: float = Field(
        default=30.0, gt=0, description="An empty room stays loaded this long"
    )
    node_heartbeat_ttl: float = Field(
        default=30.0, gt=0, description="Seconds after its last heartbeat a node counts as dead"
    )
    presence_interval: float = Field(
        default=10.0, gt=0, description="Seconds between checks for presence left by dead nodes"
    )
    environment: str = Field(default="development", description="Reported by health checks")
    shutdown_timeout: float = Field(
        default=5.0, ge=0, description="Seconds in-flight requests get on SIGTERM"
    )

    runner: Literal["bubblewrap", "unsafe-subprocess", "kubernetes"] = Field(
        default="bubblewrap",
        description="Code sandbox; unsafe-subprocess is for development only (no isolation); "
        "kubernetes runs each session's code in its own pod",
    )
    runner_standby: int = Field(
        default=1,
        ge=0,
        le=8,
        description="Bubblewrap sandboxes kept started ahead, per recently used language "
        "(0: build each one when its run comes)",
    )
    k8s_namespace: str = Field(default="duet-runs", description="Namespace of the runner pods")
    k8s_runtime_class: str | None = Field(
        default=None, description="RuntimeClass of the runner pods (e.g. gvisor)"
    )
    k8s_images: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description="Per-language image overrides: python=img,go=img"
    )
    k8s_warm_pool: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict, description="Ready pods kept per language: python=2,javascript=1"
    )
    k8s_start_timeout: float = Field(
        default=120.0, gt=0, description="Seconds a pod may take to become ready"
    )
    k8s_sweep_interval: int = Field(
        default=60, ge=1, description="Seconds between idle and orphan pod sweeps"
    )
    pod_idle_timeout: float = Field(
        default=900.0, gt=0, description="A session's pod unused this long is deleted"
    )
    # Unset: each language's own limits from the runner's table (compiled languages and
    # the JVM get more time and memory than the 10 s / 256 MB of the rest).
    run_wall_time: float | None = Field(default=None, gt=0, description="Seconds per run")
    run_cpu_time: int | None = Field(default=None, ge=1, description="CPU seconds per process")
    run_memory_mb: int | None = Field(default=None, ge=16, description="Memory per run, MiB")
    run_output_bytes: int | None = Field(
        default=None, ge=1024, description="stdout + stderr kept and streamed per run"
    )
    # Unset: the machine's cores. A test run's tests share them with everyone's runs.
    test_workers: int | None = Field(
        default=None, ge=1, le=64, description="Tests of one test run run at once (local)"
    )

    # -- operations -----------------------------------------------------------------------
    metrics_token: str | None = Field(
        default=None,
        min_length=16,
        description="Bearer token that GET /metrics (Prometheus) requires; unset: /metrics is off",
    )

    # -- accounts -------------------------------------------------------------------------
    jwt_secret: str | None = Field(
        default=None,
        min_length=32,
        description="HS256 key for access tokens; unset: generated once into the data dir",
    )
    access_token_ttl: int = Field(default=900, ge=30, description="Access token lifetime, s")
    refresh_token_ttl: int = Field(
        default=30 * 86_400, ge=60, description="Refresh token lifetime, s"
    )
    allow_anonymous: bool = Field(
        default=True, description="Allow creating sessions without an account or API token"
    )
    # argon2id cost; the defaults are RFC 9106's second recommended option (64 MiB, t=3).
    argon2_time_cost: int = Field(default=3, ge=1, description="argon2id iterations")
    argon2_memory_kib: int = Field(default=65_536, ge=8, description="argon2id memory, KiB")
    argon2_parallelism: int = Field(default=4, ge=1, description="argon2id lanes")

    # -- rate limits (requests per window, per key) ----------------------------------------
    rate_limit_window: int = Field(default=60, ge=1, description="Rate-limit window, s")
    rate_limit_auth: int = Field(
        default=5, ge=1, description="Auth calls per window per IP and per account"
    )
    rate_limit_join: int = Field(
        default=30, ge=1, description="Joins and anonymous creations per window per IP"
    )
    rate_limit_api: int = Field(
        default=100, ge=1, description="API calls per window per token (or per IP without)"
    )
    max_sockets_per_user: int = Field(
        default=10, ge=1, description="Open realtime connections per participant"
    )

    # -- webhooks ---------------------------------------------------------------------------
    webhook_poll_interval: float = Field(
        default=1.0, gt=0, description="Seconds between looks at the webhook outbox"
    )
    webhook_retry_base: float = Field(
        default=5.0, gt=0, description="First retry delay, s; doubles per attempt"
    )
    webhook_retry_max_delay: float = Field(
        default=3600.0, gt=0, description="Longest wait between two attempts, s"
    )
    webhook_retry_window: int = Field(
        default=86_400, ge=1, description="Seconds after which a delivery is given up"
    )
    webhook_timeout: float = Field(default=10.0, gt=0, description="Seconds per attempt")
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhook URLs on loopback and private networks (development)",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("k8s_images", mode="before")
    @classmethod
    def _parse_images(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_language_map(value, "DUET_K8S_IMAGES")
        return value

    @field_validator("k8s_warm_pool", mode="before")
    @classmethod
    def _parse_warm_pool(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_warm_pool(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def session_ttl_ms(self) -> int:
        return self.session_ttl * 1000

    @property
    def client_max_size(self) -> int:
        # JSON can spell one byte of code as six ("\u0000"-style escapes), so the HTTP body
        # limit sits well above the code limit; the code limit itself is checked on the
        # decoded text and answers 413 in the v1 API's shape either way.
        return self.max_code_bytes * 6 + 65_536

    def kube_settings(self) -> KubeSettings:
        return KubeSettings(
            namespace=self.k8s_namespace,
            runtime_class=self.k8s_runtime_class,
            images=dict(self.k8s_images),
            warm_pool=dict(self.k8s_warm_pool),
            idle_timeout_s=self.pod_idle_timeout,
            start_timeout_s=self.k8s_start_timeout,
            max_pod_life_s=self.session_ttl,
        )


DATA_DIR_NAME = ".duet"


def find_data_dir(flag: Path | None, settings: Settings, cwd: Path) -> Path:
    """The data dir every `duet` command uses: `--data-dir`, else `DUET_DATA_DIR`, else the
    nearest `.duet` in the working directory or a parent of it (as git finds `.git`), so
    `duet admin create` run anywhere under the directory `duet serve` started in finds that
    server's embedded Postgres; else a new `./.duet`."""
    if flag is not None:
        return flag
    if "data_dir" in settings.model_fields_set:
        return settings.data_dir
    for directory in (cwd, *cwd.parents):
        if (directory / DATA_DIR_NAME).is_dir():
            return directory / DATA_DIR_NAME
    return cwd / DATA_DIR_NAME
