"""The `duet` command: `serve`, `migrate`, `sweep`, `admin create USER`, and
`questions import FILE` / `questions export` for an organization's question bank."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import gc
import logging
import logging.handlers
import queue
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import uvloop
from aiohttp import web

from schema.clock import now_ms
from server.config import Settings, find_data_dir
from server.embedded import EmbeddedServices, embedded_for

if TYPE_CHECKING:
    import asyncpg

    from schema.models.questions import QuestionRequest

log = logging.getLogger("duet")


def _configure_logging() -> None:
    # Records go through a queue to a thread that formats and writes them, so a slow
    # terminal or log pipe never blocks the event loop (access logs are one per request).
    stream = logging.StreamHandler()
    stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, stream)
    listener.start()
    atexit.register(listener.stop)
    enqueue = logging.handlers.QueueHandler(records)
    enqueue.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[enqueue])
    # pgserver logs every command line it runs at INFO.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _resolve(settings: Settings) -> tuple[Settings, EmbeddedServices]:
    services = embedded_for(settings.database_url, settings.redis_url, settings.data_dir)
    resolved = settings.model_copy(
        update={"database_url": services.database_url, "redis_url": services.redis_url}
    )
    return resolved, services


def serve(settings: Settings, host: str, port: int) -> None:
    from server.app import create_app
    from server.http.access_log import RedactingAccessLogger

    resolved, services = _resolve(settings)
    # Everything alive at start-up (modules, the app) lives for the whole process: moving
    # it out of the collector's view, and collecting the young generation less often,
    # keeps full collections (which stall every client at once) rare and short.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        web.run_app(
            create_app(resolved),
            loop=uvloop.new_event_loop(),
            host=host,
            port=port,
            shutdown_timeout=resolved.shutdown_timeout,
            access_log_class=RedactingAccessLogger,
            print=lambda message: log.info("%s", message.strip()),
        )
    finally:
        services.stop()
        log.info("stopped")


async def _migrate(settings: Settings) -> list[str]:
    from server.database import create_pool, migrate

    assert settings.database_url
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as connection:
            return await migrate(connection)
    finally:
        await pool.close()


async def _sweep(settings: Settings) -> list[str] | None:

    from server.cache import connect_cache
    from server.database import create_pool
    from server.sweeps.expiry import sweep_expired_sessions

    assert settings.database_url and settings.redis_url
    await _migrate(settings)
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    cache = connect_cache(settings.redis_url)
    try:
        return await sweep_expired_sessions(pool, cache, now_ms())
    finally:
        await pool.close()
        await cache.aclose()


async def _promote(settings: Settings, login: str) -> bool:
    from server.auth.accounts import promote_to_admin
    from server.database import create_pool

    assert settings.database_url
    await _migrate(settings)
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        return await promote_to_admin(pool, login, now_ms())
    finally:
        await pool.close()


class CommandFailed(Exception):
    """A command that cannot do what it was asked; the message says why (exit status 1)."""


async def _organization(pool: asyncpg.Pool, reference: str) -> uuid.UUID:
    from server.auth.accounts import find_organization

    organization_id = await find_organization(pool, reference)
    if organization_id is None:
        raise CommandFailed(
            f"no organization with the id {reference!r}, nor an account with that username "
            "or email; nothing was done"
        )
    return organization_id


def _read_questions(path: str) -> list[QuestionRequest]:
    """Every question of the file, each checked as the API checks a body, before anything
    is written."""
    from server.question_files import QuestionFileError, format_of, parse_questions

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandFailed(f"cannot read {path}: {error}") from None
    try:
        return parse_questions(text, format_of(path))
    except QuestionFileError as error:
        raise CommandFailed(f"{path}: {error}; nothing was imported") from None


async def _import_questions(
    settings: Settings, path: str, bodies: list[QuestionRequest], organization: str
) -> list[str]:
    """Save them all in one transaction; the lines to print."""
    from server import activity, questions
    from server.activity import Actor
    from server.database import create_pool

    assert settings.database_url
    await _migrate(settings)
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        organization_id = await _organization(pool, organization)
        now = now_ms()
        saved = await questions.save_questions(
            pool, organization_id, bodies, None, now, same_title="new_version"
        )
        await activity.record(
            pool, Actor("system", None, organization_id, None), "questions_imported", now,
            details={"file": path, "questions": [str(item.question.id) for item in saved]},
        )  # fmt: skip
    finally:
        await pool.close()
    lines = []
    for item in saved:
        question = item.question
        if item.outcome == "created":
            lines.append(f"created {question.title!r} ({question.id}, version 1)")
        else:
            lines.append(
                f"{question.title!r} was already in the bank: added version {question.version} "
                f"of {question.id}"
            )
    created = sum(1 for item in saved if item.outcome == "created")
    lines.append(
        f"imported {len(saved)} question(s) into organization {organization_id}: "
        f"{created} new, {len(saved) - created} new version(s)"
    )
    return lines


async def _export_questions(settings: Settings, organization: str) -> list[QuestionRequest]:
    from server import questions
    from server.database import create_pool

    assert settings.database_url
    await _migrate(settings)
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        return await questions.export_questions(pool, await _organization(pool, organization))
    finally:
        await pool.close()


def _questions(
    settings: Settings, arguments: argparse.Namespace, bodies: list[QuestionRequest] | None
) -> None:
    from server.question_files import dump_questions, format_of

    if bodies is not None:
        lines = asyncio.run(
            _import_questions(settings, arguments.file, bodies, arguments.organization)
        )
        print("\n".join(lines))
        return
    output: Path | None = arguments.output
    bank = asyncio.run(_export_questions(settings, arguments.organization))
    text = dump_questions(bank, arguments.format or (format_of(output) if output else "yaml"))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, "utf-8")
    except OSError as error:
        raise CommandFailed(f"cannot write {output}: {error}") from None
    print(f"exported {len(bank)} question(s) to {output}")


def _add_questions_commands(commands: argparse._SubParsersAction) -> list[argparse.ArgumentParser]:
    from server.question_files import FORMATS

    parser = commands.add_parser("questions", help="import and export a question bank")
    subcommands = parser.add_subparsers(dest="questions_command", required=True)
    import_parser = subcommands.add_parser(
        "import",
        help="add the questions of a YAML or JSON file (one question or a list) to the bank; "
        "a question whose title the bank has becomes its next version",
    )
    import_parser.add_argument(
        "file", help="the file (.json is read as JSON, anything else as YAML); - for stdin"
    )
    export_parser = subcommands.add_parser(
        "export", help="write the bank's questions, latest versions, in the import's shape"
    )
    export_parser.add_argument(
        "--format", choices=FORMATS, help="default: from --output's suffix, else yaml"
    )
    export_parser.add_argument("--output", "-o", type=Path, help="default: standard output")
    for sub in (import_parser, export_parser):
        sub.add_argument(
            "--organization", required=True,
            help="the organization's id, or the username or email of one of its accounts",
        )  # fmt: skip
    return [import_parser, export_parser]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="duet", description="Duet interview server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the HTTP and realtime server")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    admin_parser = commands.add_parser("admin", help="manage administrators")
    admin_commands = admin_parser.add_subparsers(dest="admin_command", required=True)
    create_parser = admin_commands.add_parser(
        "create", help="make an existing account (username or email) an administrator"
    )
    create_parser.add_argument("user", help="the account's username or email")
    for sub in (
        serve_parser,
        commands.add_parser("migrate", help="apply database migrations"),
        commands.add_parser("sweep", help="delete expired sessions once, then exit"),
        create_parser,
        *_add_questions_commands(commands),
    ):
        sub.add_argument("--data-dir", type=Path, help="embedded servers' data (DUET_DATA_DIR)")
    arguments = parser.parse_args(argv)

    _configure_logging()
    settings = Settings()
    settings = settings.model_copy(
        update={"data_dir": find_data_dir(arguments.data_dir, settings, Path.cwd())}
    )

    if arguments.command == "serve":
        serve(settings, arguments.host, arguments.port)
        return 0
    try:
        _run(settings, arguments)
    except CommandFailed as error:
        print(f"duet {arguments.command}: {error}", file=sys.stderr)
        return 1
    return 0


def _run(settings: Settings, arguments: argparse.Namespace) -> None:
    """A command that reaches the database and exits. CommandFailed: exit status 1."""
    questions_file = None
    if arguments.command == "questions" and arguments.questions_command == "import":
        # A bad file is refused before any server is started or reached.
        questions_file = _read_questions(arguments.file)
    resolved, services = _resolve(settings)
    try:
        if arguments.command == "questions":
            _questions(resolved, arguments, questions_file)
        elif arguments.command == "admin":
            if not asyncio.run(_promote(resolved, arguments.user)):
                raise CommandFailed(f"no account named {arguments.user!r}; register it first")
            print(f"{arguments.user} is now an administrator")
        elif arguments.command == "migrate":
            applied = asyncio.run(_migrate(resolved))
            print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none needed'}")
        else:
            swept = asyncio.run(_sweep(resolved))
            if swept is None:
                print("another process is sweeping; skipped")
            else:
                print(f"swept {len(swept)} expired session(s)")
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main())
