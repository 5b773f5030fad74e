"""What this node's rooms have done, counted for the server's `/metrics`.

Plain integers in the update path: a metrics library's counter takes a lock per increment,
and the server reads these only when it is scraped. The two timings go to observers the
server sets (a histogram's `observe`); by default they are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _dropped(_seconds: float) -> None:
    pass


@dataclass(eq=False)
class CollabStats:
    # Updates from this node's clients that changed a document (and were persisted).
    updates_received: int = 0
    # Updates other nodes accepted, applied here from the session's stream.
    updates_followed: int = 0
    # Update frames queued for this node's Yjs peers (one per peer per update).
    frames_fanned_out: int = 0
    # Seconds from an update's arrival to its being persisted and queued for every peer.
    observe_commit: Callable[[float], None] = _dropped
    # Seconds from another node's append of an update to its being applied here.
    observe_follow_lag: Callable[[float], None] = _dropped
