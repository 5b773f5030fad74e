"""A session's pod: found, claimed from the warm pool or created, watched until ready
(its progress announced to the room), and deleted.

Several server processes may run the same session's first run at once. A short Redis
lock per session serialises "find, claim or create", and the created pod's name is
derived from the session, so even without the lock a second create answers 409
AlreadyExists and that process adopts the existing pod instead of making another.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import redis.asyncio as redis
from kubernetes_asyncio import watch
from kubernetes_asyncio.client.exceptions import ApiException

from runner.errors import RunnerError
from runner.kubernetes import podstatus
from runner.kubernetes.api import KubeApi
from runner.kubernetes.api_errors import as_runner_error, call
from runner.kubernetes.podspec import (
    EXPIRES,
    LANGUAGE,
    OURS,
    ROLE,
    SESSION,
    WARM,
    pod_manifest,
    session_pod_name,
)
from runner.kubernetes.settings import KubeSettings
from runner.kubernetes.warm_pool import WarmPool
from runner.languages import Language
from runner.sandbox import SessionContext
from schema import keys
from schema.events import PodFailed, PodPending, PodProgress, PodReady

log = logging.getLogger(__name__)

LOCK_TTL_MS = 15_000
CREATE_ATTEMPTS = 5
CREATE_RETRY_S = 0.2
LOCK_WAIT_S = 15.0
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def session_selector(session_id: str) -> str:
    return f"{OURS},{ROLE}=session,{SESSION}={session_id}"


class PodManager:
    def __init__(
        self, api: KubeApi, settings: KubeSettings, cache: redis.Redis, warm_pool: WarmPool
    ) -> None:
        self.api = api
        self.settings = settings
        self.cache = cache
        self.warm_pool = warm_pool
        # session id -> (pod name, language) seen ready by this process; a stale entry
        # shows itself when an exec finds the pod gone, and is forgotten then.
        self.known: dict[str, tuple[str, str]] = {}

    @property
    def namespace(self) -> str:
        return self.settings.namespace

    async def _call(self, action: str, request: Any, passthrough: tuple[int, ...] = ()) -> Any:
        return await call(action, self.api.host, request, passthrough=passthrough)

    # -- finding ---------------------------------------------------------------------------

    async def list_pods(self, selector: str) -> list[dict[str, Any]]:
        found = await self._call(
            "list pods",
            lambda: self.api.core.list_namespaced_pod(self.namespace, label_selector=selector),
        )
        return [self.api.as_dict(pod) for pod in found.items]

    async def session_pods(self, session_id: str) -> list[dict[str, Any]]:
        return await self.list_pods(session_selector(session_id))

    async def read(self, name: str) -> dict[str, Any] | None:
        try:
            pod = await self._call(
                "read a pod",
                lambda: self.api.core.read_namespaced_pod(name, self.namespace),
                passthrough=(404,),
            )
        except ApiException:
            return None
        return self.api.as_dict(pod)

    # -- the session's pod -----------------------------------------------------------------

    async def session_pod(self, session: SessionContext, language: Language) -> str:
        """The name of the session's ready pod for `language`, starting one if needed.
        Raises RunnerError (announcing pod_failed) when it cannot be had."""
        cached = self.known.get(session.session_id)
        if cached is not None and cached[1] == language.name:
            return cached[0]
        async with self._session_lock(session.session_id):
            pod, warm = await self._find_or_make(session, language)
        name = pod["metadata"]["name"]
        started = time.monotonic()
        if not podstatus.is_ready(pod):
            pending = PodPending(
                session_id=session.session_id, pod=name, language=language.name, warm=warm
            )
            session.on_event(*pending.parts())
            pod = await self.wait_ready(session, pod)
        await self.touch(session.session_id)
        self.known[session.session_id] = (name, language.name)
        ready = PodReady(
            session_id=session.session_id, pod=name, language=language.name,
            node=pod["spec"].get("nodeName"), warm=warm,
            waited_ms=int((time.monotonic() - started) * 1000),
        )  # fmt: skip
        session.on_event(*ready.parts())
        return name

    def forget(self, session_id: str) -> None:
        self.known.pop(session_id, None)

    async def touch(self, session_id: str) -> None:
        """Mark the session's pod used now (the idle sweep reads this)."""
        await self.cache.set(keys.pod_used(session_id), str(time.time()), ex=86_400 * 7)

    @asynccontextmanager
    async def _session_lock(self, session_id: str) -> AsyncIterator[None]:
        key, token = keys.pod_lock(session_id), secrets.token_hex(8)
        deadline = time.monotonic() + LOCK_WAIT_S
        while not await self.cache.set(key, token, nx=True, px=LOCK_TTL_MS):
            if time.monotonic() > deadline:
                raise RunnerError(
                    "another server has been preparing this session's pod for too long",
                    "PodLockTimeout",
                )
            await asyncio.sleep(0.02)
        try:
            yield
        finally:
            await self.cache.eval(_RELEASE, 1, key, token)

    async def _find_or_make(
        self, session: SessionContext, language: Language
    ) -> tuple[dict[str, Any], bool]:
        usable = None
        for pod in await self.session_pods(session.session_id):
            labels = pod["metadata"].get("labels") or {}
            if (
                usable is None
                and labels.get(LANGUAGE) == language.name
                and podstatus.failure(pod) is None
                and not pod["metadata"].get("deletionTimestamp")
            ):
                usable = pod
            else:
                # Another language's pod (the session switched), or a dead one.
                await self.delete(pod["metadata"]["name"])
        if usable is not None:
            return usable, bool((usable["metadata"].get("labels") or {}).get(WARM))
        claimed = await self.warm_pool.claim(session, language)
        if claimed is not None:
            return claimed, True
        return await self.create(session, language), False

    def remaining_s(self, session: SessionContext) -> int:
        return max(1, int(session.expires_at_ms / 1000 - time.time()))

    async def create(self, session: SessionContext, language: Language) -> dict[str, Any]:
        image = self.settings.image_for(language.name)
        if image is None:
            raise RunnerError(f"no image is configured for {language.name}", "NoImage")
        name = session_pod_name(session.session_id, language.name)
        manifest = pod_manifest(
            language=language,
            image=image,
            labels={
                ROLE: "session",
                SESSION: session.session_id,
                EXPIRES: str(session.expires_at_ms // 1000),
            },
            deadline_s=self.remaining_s(session),
            uid=self.settings.uid,
            runtime_class=self.settings.runtime_class,
            name=name,
        )
        for attempt in range(CREATE_ATTEMPTS):
            try:
                pod = await self._call(
                    f"create the pod {name}",
                    lambda: self.api.core.create_namespaced_pod(self.namespace, manifest),
                    passthrough=(409,),
                )
            except ApiException as error:
                existing = await self.read(name)
                if existing is None and attempt + 1 < CREATE_ATTEMPTS:
                    continue  # it went in the meantime
                if existing is None:
                    raise as_runner_error(error, f"create the pod {name}", self.api.host) from error
                if existing["metadata"].get("deletionTimestamp") or podstatus.failure(existing):
                    # The session's previous pod, still being deleted: wait for it to go.
                    await self.delete(name, quiet=True)
                    await asyncio.sleep(CREATE_RETRY_S * (attempt + 1))
                    continue
                # Another server created it between our list and our create: adopt it.
                return existing
            return self.api.as_dict(pod)
        raise RunnerError(
            f"the pod {name} is still being deleted; try the run again in a moment",
            "PodTerminating",
        )

    async def wait_ready(self, session: SessionContext, pod: dict[str, Any]) -> dict[str, Any]:
        name = pod["metadata"]["name"]
        last_line = None
        try:
            async with asyncio.timeout(self.settings.start_timeout_s):
                while True:
                    found = podstatus.failure(pod)
                    if found is not None:
                        raise RunnerError(found.message, found.reason)
                    if podstatus.is_ready(pod):
                        return pod
                    line = podstatus.progress(pod)
                    if line != last_line:
                        last_line = line
                        progress = PodProgress(
                            session_id=session.session_id, pod=name, message=line
                        )
                        session.on_event(*progress.parts())
                    pod = await self._next_version(pod)
        except TimeoutError:
            error = RunnerError(
                f"the pod did not become ready within {self.settings.start_timeout_s:g} s "
                f"({last_line})",
                "StartTimeout",
            )
        except RunnerError as failed:
            error = failed
        error.announced = True
        failed = PodFailed(
            session_id=session.session_id, pod=name, reason=error.reason, message=error.message
        )
        session.on_event(*failed.parts())
        self.forget(session.session_id)
        # A pod that failed to start will not recover; the next run starts a fresh one.
        await asyncio.shield(self.delete(name, quiet=True))
        raise error

    async def _next_version(self, pod: dict[str, Any]) -> dict[str, Any]:
        """The pod's next change, from a watch starting at the version we have."""
        name = pod["metadata"]["name"]
        watcher = watch.Watch()
        try:
            stream = watcher.stream(
                self.api.core.list_namespaced_pod,
                self.namespace,
                field_selector=f"metadata.name={name}",
                resource_version=pod["metadata"].get("resourceVersion"),
                timeout_seconds=max(1, int(self.settings.start_timeout_s)),
            )
            async for event in stream:
                if event["type"] == "DELETED":
                    raise RunnerError("the pod was deleted while it was starting", "Deleted")
                if event["type"] in ("ADDED", "MODIFIED"):
                    return event["raw_object"]
        except ApiException as error:
            if error.status == 410:
                # Our version is too old to watch from: read the pod afresh.
                fresh = await self.read(name)
                if fresh is None:
                    raise RunnerError(
                        "the pod was deleted while it was starting", "Deleted"
                    ) from None
                return fresh
            raise as_runner_error(error, f"watch the pod {name}", self.api.host) from error
        except (aiohttp.ClientError, OSError) as error:
            raise as_runner_error(error, f"watch the pod {name}", self.api.host) from error
        finally:
            await watcher.close()
        raise TimeoutError

    # -- deleting --------------------------------------------------------------------------

    async def delete(self, name: str, *, quiet: bool = False) -> bool:
        """Delete a pod now (no grace period); False if it was already gone."""
        try:
            await self._call(
                f"delete the pod {name}",
                lambda: self.api.core.delete_namespaced_pod(
                    name, self.namespace, grace_period_seconds=0
                ),
                passthrough=(404,),
            )
        except ApiException:
            return False
        except RunnerError:
            if not quiet:
                raise
            log.warning("could not delete pod %s; the sweep will retry", name, exc_info=True)
            return False
        return True

    async def delete_session_pods(self, session_id: str) -> int:
        self.forget(session_id)
        deleted = 0
        for pod in await self.session_pods(session_id):
            deleted += await self.delete(pod["metadata"]["name"])
        return deleted
