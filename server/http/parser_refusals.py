"""Requests aiohttp's own HTTP parser refuses: one quiet log line, not a traceback.

Headers over 8 KB, too many headers, `Transfer-Encoding` with `Content-Length` and other
malformed messages are answered by aiohttp itself with a plain-text 400 before any
handler or middleware runs; aiohttp 3.14 has no public hook for that answer's body, so it
keeps aiohttp's shape. What it does let us shape is the log: it logs each refusal with a
full traceback at ERROR, which lets any unauthenticated client flood the log. This filter
turns those records into one INFO line naming the refusal's kind, never its text (which
quotes the offending header, and headers can carry tokens).
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError


class ParserRefusalFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = "refused a malformed request from %s: %s (%s)"
            record.args = (*(record.args or ("?",))[:1], type(error).__name__, error.code)  # type: ignore[misc]
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


PARSER_REFUSALS = ParserRefusalFilter()


def quiet_parser_refusals() -> None:
    """Idempotent: `addFilter` ignores a filter it already holds."""
    logging.getLogger("aiohttp.server").addFilter(PARSER_REFUSALS)
