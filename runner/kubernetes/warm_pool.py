"""Ready pods per language, waiting for sessions, so a first run need not wait for a cold
start. A session claims one by relabelling it (`patch_namespaced_pod` carrying the
resourceVersion it read, so two servers claiming the same pod cannot both win: the second
gets 409 and tries the next). A background task keeps each language's pool full; a Redis
lock makes one server at a time refill a language, so pools are not overfilled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import redis.asyncio as redis
from kubernetes_asyncio.client.exceptions import ApiException

from runner.errors import RunnerError
from runner.kubernetes import podstatus
from runner.kubernetes.api import KubeApi
from runner.kubernetes.api_errors import call
from runner.kubernetes.podspec import EXPIRES, LANGUAGE, OURS, ROLE, SESSION, WARM, pod_manifest
from runner.kubernetes.settings import KubeSettings
from runner.languages import Language, get_language
from runner.sandbox import SessionContext
from schema import keys

log = logging.getLogger(__name__)

REFILL_INTERVAL_S = 30.0
REFILL_LOCK_S = 30


def warm_selector(language: str) -> str:
    return f"{OURS},{ROLE}=warm,{LANGUAGE}={language}"


def _age_s(pod: dict[str, Any]) -> int:
    return max(0, int(time.time() - podstatus.created_at(pod)))


class WarmPool:
    def __init__(self, api: KubeApi, settings: KubeSettings, cache: redis.Redis) -> None:
        self.api = api
        self.settings = settings
        self.cache = cache
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def namespace(self) -> str:
        return self.settings.namespace

    async def _warm_pods(self, language: str) -> list[dict[str, Any]]:
        found = await call(
            "list warm pods",
            self.api.host,
            lambda: self.api.core.list_namespaced_pod(
                self.namespace, label_selector=warm_selector(language)
            ),
        )
        return [self.api.as_dict(pod) for pod in found.items]

    async def claim(self, session: SessionContext, language: Language) -> dict[str, Any] | None:
        """A warm pod relabelled as the session's, or None when the pool is empty."""
        if self.settings.warm_pool.get(language.name, 0) <= 0:
            return None
        pods = [
            pod
            for pod in await self._warm_pods(language.name)
            if podstatus.failure(pod) is None and not pod["metadata"].get("deletionTimestamp")
        ]
        # Ready ones first, then the furthest along.
        pods.sort(key=lambda pod: (not podstatus.is_ready(pod), -_age_s(pod)))
        remaining = max(1, int(session.expires_at_ms / 1000 - time.time()))
        for pod in pods:
            metadata = pod["metadata"]
            patch: dict[str, Any] = {
                "metadata": {
                    "resourceVersion": metadata["resourceVersion"],
                    "labels": {
                        ROLE: "session",
                        SESSION: session.session_id,
                        EXPIRES: str(session.expires_at_ms // 1000),
                        WARM: "true",
                    },
                }
            }
            # The deadline counts from the pod's start: bring it down to the session's end
            # (it may only ever be lowered).
            deadline = _age_s(pod) + remaining
            if deadline < (pod["spec"].get("activeDeadlineSeconds") or deadline + 1):
                patch["spec"] = {"activeDeadlineSeconds": deadline}
            try:
                claimed = await call(
                    f"claim the warm pod {metadata['name']}",
                    self.api.host,
                    lambda name=metadata["name"], body=patch: self.api.core.patch_namespaced_pod(
                        name, self.namespace, body
                    ),
                    passthrough=(404, 409),
                )
            except ApiException:
                continue  # claimed by another server first, or gone
            self._wake.set()
            return self.api.as_dict(claimed)
        self._wake.set()
        return None

    async def refill(self, language: str) -> int:
        """Create the pods missing from `language`'s pool; how many were created."""
        target = self.settings.warm_pool.get(language, 0)
        lock = keys.warm_refill_lock(language)
        if target <= 0 or not await self.cache.set(lock, "1", nx=True, ex=REFILL_LOCK_S):
            return 0
        try:
            alive = []
            for pod in await self._warm_pods(language):
                if podstatus.failure(pod) is not None:
                    await self._delete(pod["metadata"]["name"])
                elif not pod["metadata"].get("deletionTimestamp"):
                    alive.append(pod)
            created = 0
            for _ in range(target - len(alive)):
                await self._create(language)
                created += 1
            return created
        finally:
            await self.cache.delete(lock)

    async def _create(self, language: str) -> None:
        image = self.settings.image_for(language)
        if image is None:
            raise RunnerError(f"no image is configured for {language}", "NoImage")
        manifest = pod_manifest(
            language=get_language(language),
            image=image,
            labels={ROLE: "warm"},
            deadline_s=self.settings.max_pod_life_s,
            uid=self.settings.uid,
            runtime_class=self.settings.runtime_class,
            generate_name=f"duet-warm-{language}-",
        )
        await call(
            f"create a warm {language} pod",
            self.api.host,
            lambda: self.api.core.create_namespaced_pod(self.namespace, manifest),
        )

    async def _delete(self, name: str) -> None:
        with contextlib.suppress(ApiException):
            await call(
                f"delete the warm pod {name}",
                self.api.host,
                lambda: self.api.core.delete_namespaced_pod(
                    name, self.namespace, grace_period_seconds=0
                ),
                passthrough=(404,),
            )

    async def refill_all(self) -> int:
        created = 0
        for language in self.settings.warm_pool:
            try:
                created += await self.refill(language)
            except RunnerError as error:
                log.warning("warm pool: could not refill %s: %s", language, error.message)
        return created

    def start(self) -> None:
        if self.settings.warm_pool and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="duet-warm-pool")

    async def _run(self) -> None:
        while True:
            try:
                await self.refill_all()
            except Exception:
                log.exception("warm pool refill failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), REFILL_INTERVAL_S)
            self._wake.clear()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
