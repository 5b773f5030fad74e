"""Names of the Redis keys that belong to a session.

Every per-session key is `duet:session:{id}:…`, so deleting a session (by the API or the
expiry sweep) finds them all with one pattern.
"""

from __future__ import annotations


def session_key(session_id: str, name: str) -> str:
    return f"duet:session:{session_id}:{name}"


def updates_stream(session_id: str) -> str:
    """The session's document updates, appended before they are broadcast."""
    return session_key(session_id, "updates")
