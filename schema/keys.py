"""Every Redis key and channel name Duet uses, in one place.

Every per-session key is `duet:session:{id}:…`, so deleting a session (by the API or the
expiry sweep) finds them all with one pattern. The rest belong to a node, a rate-limit
bucket, or a job every node runs (its lock).
"""

from __future__ import annotations

_ROOM_CHANNEL = "duet:room:"

# Pub/sub: messages for every node (cancel a run, a session closed, a participant removed).
CONTROL_CHANNEL = "duet:control"
# One round of the Kubernetes pod sweep at a time, across nodes.
POD_SWEEP_LOCK = "duet:k8s:pod-sweep"


def session_key(session_id: str, name: str) -> str:
    return f"duet:session:{session_id}:{name}"


def session_keys_pattern(session_id: str) -> str:
    """Matches every key of the session (SCAN MATCH)."""
    return session_key(session_id, "*")


def updates_stream(session_id: str) -> str:
    """The session's document updates, appended before they are broadcast."""
    return session_key(session_id, "updates")


def run_lock(session_id: str) -> str:
    """Held while a run of the session goes: its value is the run id."""
    return session_key(session_id, "run")


def run_output(session_id: str, run_id: str) -> str:
    """The output so far of a run still going (a list of events)."""
    return session_key(session_id, f"run-output:{run_id}")


def presence_hash(session_id: str) -> str:
    """Who is connected to the session, on which node."""
    return session_key(session_id, "presence")


def pod_used(session_id: str) -> str:
    """When the session's pod last ran something (for the idle sweep)."""
    return session_key(session_id, "pod-used")


def pod_lock(session_id: str) -> str:
    """One node at a time creates or claims the session's pod."""
    return session_key(session_id, "pod-lock")


def room_channel(session_id: str) -> str:
    """Pub/sub: the room's awareness and events, between nodes."""
    return f"{_ROOM_CHANNEL}{session_id}"


def room_of_channel(channel: str) -> str:
    return channel.removeprefix(_ROOM_CHANNEL)


def node_heartbeat(node_id: str) -> str:
    """Alive while the node beats; its sockets' presence lapses with it."""
    return f"duet:node:{node_id}"


def rate_limit_bucket(bucket: str, key_digest: str) -> str:
    return f"duet:ratelimit:{bucket}:{key_digest}"


def warm_refill_lock(language: str) -> str:
    """One node at a time refills the warm pool of `language`."""
    return f"duet:k8s:warm-refill:{language}"
