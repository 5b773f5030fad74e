"""Why a run could not start or finish, in words the room can read."""

from __future__ import annotations


class RunnerError(RuntimeError):
    """A run failed for a reason outside the program (the pod would not start, the
    Kubernetes API refused). `reason` is a short machine-readable word, `message` the
    sentence shown to the room."""

    def __init__(self, message: str, reason: str = "RunnerError") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        # Set once the room has been told (as pod_failed), so nobody tells it twice.
        self.announced = False


class NoSessionRuntime(RunnerError):
    """The backend keeps nothing per session, so there is no runtime to restart or stop."""

    def __init__(self, backend: str) -> None:
        super().__init__(f"The {backend} runner keeps no runtime between runs", "NoSessionRuntime")
