"""Deleting pods nobody needs: idle session pods, pods of sessions that are gone or past
their expiry label, and warm pods that failed or whose language has no pool any more.
Deleting a pod another server already deleted is a harmless 404."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as redis

from runner.kubernetes import podstatus
from runner.kubernetes.pods import PodManager
from runner.kubernetes.podspec import EXPIRES, LANGUAGE, OURS, ROLE, SESSION
from runner.kubernetes.settings import KubeSettings
from schema import keys


class PodSweeper:
    def __init__(self, pods: PodManager, settings: KubeSettings, cache: redis.Redis) -> None:
        self.pods = pods
        self.settings = settings
        self.cache = cache

    async def _sweep_warm(self) -> list[str]:
        deleted = []
        for pod in await self.pods.list_pods(f"{OURS},{ROLE}=warm"):
            language = (pod["metadata"].get("labels") or {}).get(LANGUAGE, "")
            pooled = self.settings.warm_pool.get(language, 0) > 0
            if not pooled or podstatus.failure(pod) is not None:
                if await self.pods.delete(pod["metadata"]["name"], quiet=True):
                    deleted.append(pod["metadata"]["name"])
        return deleted

    async def sweep_idle(self, now: float | None = None) -> list[str]:
        """Delete session pods unused for `idle_timeout_s`; the next run brings one back."""
        now = now or time.time()
        deleted = []
        for pod in await self.pods.list_pods(f"{OURS},{ROLE}=session"):
            session_id = (pod["metadata"].get("labels") or {}).get(SESSION, "")
            if await self.cache.exists(keys.run_lock(session_id)):
                continue  # a run is using it
            used = await self.cache.get(keys.pod_used(session_id))
            last = float(used) if used else podstatus.created_at(pod)
            if now - last >= self.settings.idle_timeout_s:
                name = pod["metadata"]["name"]
                self.pods.forget(session_id)
                if await self.pods.delete(name, quiet=True):
                    deleted.append(name)
        return deleted

    async def sweep_orphans(
        self, live_sessions: Callable[[list[str]], Awaitable[Iterable[str]]]
    ) -> list[str]:
        """Delete session pods whose session is gone or past its expiry label, and warm
        pods that failed (their deadline passed) or whose language has no pool any more."""
        deleted = await self._sweep_warm()
        pods = await self.pods.list_pods(f"{OURS},{ROLE}=session")
        ids = sorted({(p["metadata"].get("labels") or {}).get(SESSION, "") for p in pods})
        alive = set(await live_sessions(ids)) if ids else set()
        now = time.time()
        for pod in pods:
            labels = pod["metadata"].get("labels") or {}
            expires = labels.get(EXPIRES, "")
            expired = expires.isdigit() and int(expires) <= now
            if labels.get(SESSION) not in alive or expired:
                self.pods.forget(labels.get(SESSION, ""))
                if await self.pods.delete(pod["metadata"]["name"], quiet=True):
                    deleted.append(pod["metadata"]["name"])
        return deleted
