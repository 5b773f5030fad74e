"""What the local backends (bubblewrap, unsafe-subprocess) answer to the session calls.

They start from nothing on every run, so a session has nothing of its own here: nothing
to describe, restart, release or sweep. One mixin, so that neither backend writes the
no-ops out again.
"""

from __future__ import annotations

from typing import Any

from runner import languages
from runner.errors import NoSessionRuntime
from runner.languages import Language, LanguageInfo
from runner.sandbox import LiveSessions, SessionContext, no_runtime


class LocalSessions:
    name: str
    keeps_sessions = False
    start_allowance_s = 0.0

    async def languages(self) -> list[LanguageInfo]:
        # Looked up on the module at call time, so a test can stand in for the toolchains.
        return await languages.detect_languages()

    async def describe_session(self, session_id: str) -> dict[str, Any]:
        return no_runtime(self.name, "local")

    async def restart_session(self, session: SessionContext, language: Language) -> None:
        raise NoSessionRuntime(self.name)

    async def release_session(self, session_id: str) -> None:
        return None

    async def sweep_sessions(self, live: LiveSessions) -> tuple[list[str], list[str]]:
        return [], []
