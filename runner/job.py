"""One run, as every backend receives it: built once, from the language and the files.

    job = RunJob.of(get_language("python"), "print(input())", stdin="42", on_output=show)
    result = await sandbox.run(job, session)

The checks and the building of files and stdin that each backend used to repeat live here
and nowhere else. `files` maps a workspace path to its bytes: the language's support files
and the source file, plus whatever else the caller brings (a workspace of several files).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from runner.languages import Language
from runner.limits import RunLimits
from runner.streaming import OutputCallback


def _as_bytes(content: str | bytes) -> bytes:
    return content.encode() if isinstance(content, str) else content


@dataclass(frozen=True)
class RunJob:
    language: Language
    files: Mapping[str, bytes]
    # b"" when there is none: the program's stdin is then closed at once.
    stdin: bytes
    limits: RunLimits
    on_output: OutputCallback
    cancel: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def of(
        cls,
        language: Language,
        code: str,
        *,
        on_output: OutputCallback,
        stdin: str | bytes | None = None,
        limits: RunLimits | None = None,
        cancel: asyncio.Event | None = None,
        files: Mapping[str, str | bytes] | None = None,
    ) -> RunJob:
        """Raises ValueError for a language that does not run here (html renders in the
        browser). `limits` default to the language's; text is encoded as UTF-8; `code` is
        the language's source file, and `files` are added beside it."""
        if not language.runnable:
            raise ValueError(f"{language.name} is not a runnable language")
        contents: dict[str, str | bytes] = {
            **language.support_files,
            **(files or {}),
            language.source_file: code,
        }
        return cls(
            language=language,
            files={path: _as_bytes(content) for path, content in contents.items()},
            stdin=_as_bytes(stdin or b""),
            limits=limits or language.limits,
            on_output=on_output,
            cancel=cancel or asyncio.Event(),
        )

    @property
    def steps(self) -> list[tuple[str, list[str]]]:
        """(stage, argv) to run in order: a compile step first where the language has one."""
        return self.language.steps(self.limits)
