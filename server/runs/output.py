"""A run's output as the room receives it: raw chunks from the sandbox turned into text
events, decoded incrementally and coalesced, so that a print loop is not 100k events."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Callable

from runner.streaming import StreamName

# A print loop must not become 100k events: output is sent at most this often per run,
# or sooner once this much is waiting.
FLUSH_SECONDS = 0.02
FLUSH_BYTES = 16 * 1024


class CoalescedOutput:
    """Turns the sandbox's raw chunks into text events: decoded incrementally (a character
    split across two reads stays whole), at most one event per `FLUSH_SECONDS` (or per
    `FLUSH_BYTES`), a change of stream flushing first. Keeps what it sent, for the history."""

    def __init__(self, send: Callable[[StreamName, str], None]) -> None:
        self._send = send
        self._decoders = {
            name: codecs.getincrementaldecoder("utf-8")(errors="replace")
            for name in ("stdout", "stderr")
        }
        self._stream: StreamName | None = None
        self._parts: list[str] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._last_sent = -FLUSH_SECONDS
        self.kept: list[list[str]] = []

    def feed(self, stream: StreamName, chunk: bytes) -> None:
        text = self._decoders[stream].decode(chunk)
        if not text:
            return
        if self._stream is not None and self._stream != stream:
            self.flush()
        self._stream = stream
        self._parts.append(text)
        self._size += len(chunk)
        if self._timer is not None and self._size < FLUSH_BYTES:
            return
        # Leading edge: output after a quiet spell goes out at once (a prompt, the first
        # line); what follows within FLUSH_SECONDS waits for the timer.
        loop = asyncio.get_running_loop()
        wait = self._last_sent + FLUSH_SECONDS - loop.time()
        if wait <= 0 or self._size >= FLUSH_BYTES:
            self.flush()
        else:
            self._timer = loop.call_later(wait, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._stream is None or not self._parts:
            return
        stream, text = self._stream, "".join(self._parts)
        self._stream, self._parts, self._size = None, [], 0
        self._last_sent = asyncio.get_running_loop().time()
        if self.kept and self.kept[-1][0] == stream:
            self.kept[-1][1] += text
        else:
            self.kept.append([stream, text])
        self._send(stream, text)

    def close(self) -> None:
        """Send what is left, including a character cut off at the end."""
        for name, decoder in self._decoders.items():
            tail = decoder.decode(b"", final=True)
            if tail:
                if self._stream is not None and self._stream != name:
                    self.flush()
                self._stream = name  # type: ignore[assignment]
                self._parts.append(tail)
        self.flush()
