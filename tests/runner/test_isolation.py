"""What a sandboxed program can see and reach: not the server's files, env, processes
or network, and nothing another run left behind."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.bubblewrap import BubblewrapSandbox
from tests.runner.conftest import assert_still_works, run_code


# Host-side checks: tiny synchronous reads, kept out of the async test bodies.
def _exists(path: str) -> bool:
    return os.path.exists(path)


def _read(path: Path) -> str:
    return path.read_text()


def _listdir(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A stand-in for the server's data dir (./.duet) with a secret in it."""
    path = Path.cwd() / f".duet-test-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    (path / "secret.txt").write_text("TOP-SECRET-DATA\n")
    (path / "duet.db").write_text("TOP-SECRET-DB\n")
    yield path
    shutil.rmtree(path)


async def test_runs_as_unprivileged_user_without_capabilities(
    sandbox: BubblewrapSandbox,
) -> None:
    code = (
        "import os\n"
        "print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups())\n"
        "status = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines()"
        " if ':\\t' in l)\n"
        "for k in ('CapInh', 'CapPrm', 'CapEff', 'CapAmb', 'NoNewPrivs', 'Seccomp'):\n"
        "    print(k, status[k].strip())\n"
    )
    cap = await run_code(sandbox, "python", code)
    lines = cap.text.splitlines()
    assert lines[0] == "65534 65534 65534 []"
    fields = dict(line.split() for line in lines[1:])
    assert fields["CapPrm"] == fields["CapEff"] == fields["CapAmb"] == "0" * 16
    assert fields["NoNewPrivs"] == "1"
    assert fields["Seccomp"] == "2"


async def test_cannot_read_the_data_dir(sandbox: BubblewrapSandbox, data_dir: Path) -> None:
    code = (
        "import os\n"
        f"for p in [{str(data_dir / 'secret.txt')!r}, {str(data_dir / 'duet.db')!r}]:\n"
        "    try:\n"
        "        print(open(p).read())\n"
        "    except OSError as e:\n"
        "        print('denied', e.errno)\n"
        f"for d in [{str(data_dir)!r}, {str(Path.cwd())!r}, '/root', '/home', '/work']:\n"
        "    try:\n"
        "        print(d, os.listdir(d))\n"
        "    except OSError as e:\n"
        "        print('denied', e.errno)\n"
    )
    cap = await run_code(sandbox, "python", code)
    assert cap.result.exit_code == 0, cap
    assert b"TOP-SECRET" not in cap.stdout
    assert b"secret.txt" not in cap.stdout
    assert cap.text.count("denied") >= 4, cap


async def test_environment_is_clean(sandbox: BubblewrapSandbox, monkeypatch) -> None:
    token = f"server-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("DUET_TEST_SECRET", token)
    code = (
        "import os\n"
        "print(sorted(os.environ))\n"
        "for p in ('/proc/1/environ', '/proc/self/environ'):\n"
        "    try:\n"
        "        print(open(p, 'rb').read())\n"
        "    except OSError as e:\n"
        "        print('denied', e.errno)\n"
    )
    cap = await run_code(sandbox, "python", code)
    assert token.encode() not in cap.stdout
    first = cap.text.splitlines()[0]
    assert first == str(
        sorted(
            [
                *("HOME", "LANG", "PATH", "PWD", "TMPDIR", "USER"),
                *("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"),
            ]
        )
    ), first


async def test_server_processes_are_invisible(sandbox: BubblewrapSandbox) -> None:
    code = (
        "import os\n"
        "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "cmds = [open(f'/proc/{p}/cmdline', 'rb').read() for p in pids]\n"
        "print(len(pids), any(b'pytest' in c for c in cmds))\n"
    )
    cap = await run_code(sandbox, "python", code)
    count, saw_pytest = cap.text.split()
    # The supervisor and this program (plus nothing from the host).
    assert int(count) <= 3
    assert saw_pytest == "False"


async def test_system_directories_are_read_only(sandbox: BubblewrapSandbox) -> None:
    code = (
        "for p in ('/usr/evil', '/etc/evil', '/evil', '/bin/evil', '/dev/evil'):\n"
        "    try:\n"
        "        open(p, 'w').write('x')\n"
        "        print('wrote', p)\n"
        "    except OSError as e:\n"
        "        print('refused', e.errno)\n"
    )
    cap = await run_code(sandbox, "python", code)
    assert "wrote" not in cap.text, cap
    assert cap.text.count("refused") == 5
    assert not _exists("/usr/evil")


async def test_sensitive_host_files_are_absent(sandbox: BubblewrapSandbox) -> None:
    code = (
        "for p in ('/etc/shadow', '/etc/sudoers', '/root/.bash_history', '/etc/ssh',"
        " '/proc/kcore', '/sys/kernel', '/run', '/var/lib'):\n"
        "    try:\n"
        "        open(p, 'rb').read(1)\n"
        "        print('read', p)\n"
        "    except OSError as e:\n"
        "        print('refused', p, e.errno)\n"
    )
    cap = await run_code(sandbox, "python", code)
    assert "read " not in cap.text, cap


async def test_no_network_not_even_the_servers_loopback(
    sandbox: BubblewrapSandbox,
) -> None:
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    code = (
        "import socket\n"
        "ifaces = [l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]]\n"
        "print('ifaces', ifaces)\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
        "    print('local connected')\n"
        "except OSError as e:\n"
        "    print('local failed', e.errno)\n"
        # Only attempted when isolation holds, so no packet can leave this machine.
        "if ifaces == ['lo']:\n"
        "    for addr in ('192.0.2.1', '2001:db8::1'):\n"
        "        try:\n"
        "            socket.create_connection((addr, 80), timeout=3)\n"
        "            print('outside connected')\n"
        "        except OSError as e:\n"
        "            print('outside failed', e.errno)\n"
        "try:\n"
        "    socket.getaddrinfo('pypi.org', 443)\n"
        "    print('dns resolved')\n"
        "except OSError:\n"
        "    print('dns failed')\n"
    )
    try:
        cap = await run_code(sandbox, "python", code)
    finally:
        server.close()
        await server.wait_closed()
    lines = cap.text.splitlines()
    assert lines[0] == "ifaces ['lo']", cap
    assert lines[1] == "local failed 111"  # ECONNREFUSED: its own, empty loopback
    assert lines[2].startswith("outside failed") and lines[3].startswith("outside failed")
    assert lines[4] == "dns failed"
    assert connections == 0


async def test_nothing_persists_between_runs(sandbox: BubblewrapSandbox) -> None:
    name = f"leftover-{uuid.uuid4().hex}"
    dirs = ["/dev/shm", "/tmp", "/var/tmp", "/workspace"]
    write = "\n".join(f"open('{d}/{name}', 'w').write('x')" for d in dirs) + "\nprint('ok')"
    first = await run_code(sandbox, "python", write)
    assert first.stdout == b"ok\n", first
    look = (
        "import os\n"
        f"print(sum(os.path.exists(os.path.join(d, {name!r})) for d in {dirs!r}))\n"
        f"print(sum(len(os.listdir(d)) for d in {dirs[:3]!r}))\n"
    )
    second = await run_code(sandbox, "python", look)
    assert second.text.split() == ["0", "0"], second
    for host_dir in ("/dev/shm", "/tmp", "/var/tmp"):
        assert not _exists(os.path.join(host_dir, name))


async def test_symlinks_out_of_the_workspace_lead_nowhere(
    sandbox: BubblewrapSandbox, data_dir: Path
) -> None:
    """Judge0 CVE-2024-28185/28189: symlinks in the sandbox dir pointing at host files."""
    secret = data_dir / "secret.txt"
    code = (
        "import os\n"
        f"targets = {{'data': {str(secret)!r}, 'shadow': '/etc/shadow',"
        f" 'dbdir': {str(data_dir)!r}, 'proc': '/proc/1/root/etc/shadow'}}\n"
        "for name, target in targets.items():\n"
        "    os.symlink(target, name)\n"
        "    try:\n"
        "        print(name, 'read', open(name).read()[:20])\n"
        "    except OSError as e:\n"
        "        print(name, 'read-failed', e.errno)\n"
        "    try:\n"
        "        with open(name, 'w') as f:\n"
        "            f.write('PWNED')\n"
        "        print(name, 'wrote')\n"
        "    except OSError as e:\n"
        "        print(name, 'write-failed', e.errno)\n"
        # Replace the source with a link too: nothing on the host follows it later.
        "os.remove('main.py'); os.symlink('/etc/passwd', 'main.py')\n"
    )
    cap = await run_code(sandbox, "python", code)
    assert b"TOP-SECRET" not in cap.stdout
    assert "read " not in cap.text, cap
    assert "wrote" not in cap.text, cap
    assert _read(secret) == "TOP-SECRET-DATA\n"
    assert _listdir(data_dir) == ["duet.db", "secret.txt"]
    assert "PWNED" not in _read(Path("/etc/passwd"))
    await assert_still_works(sandbox)


async def test_symlink_to_another_sessions_workspace(sandbox: BubblewrapSandbox) -> None:
    token = uuid.uuid4().hex
    started = asyncio.Event()

    async def on_chunk(_: str, data: bytes) -> None:
        started.set()

    holder = asyncio.create_task(
        run_code(
            sandbox,
            "python",
            f"import time\nopen('secret', 'w').write({token!r})\nprint('ready', flush=True)\n"
            "time.sleep(3)",
            on_chunk=on_chunk,
        )
    )
    await asyncio.wait_for(started.wait(), timeout=30)
    code = (
        "import os\n"
        "found = []\n"
        "for root in ['/workspace', '/tmp', '/var/tmp', '/dev/shm', '/proc']:\n"
        "    for dirpath, dirs, files in os.walk(root):\n"
        "        if dirpath.startswith('/proc/') and dirpath.count('/') > 3:\n"
        "            dirs[:] = []\n"
        "        found += [os.path.join(dirpath, f) for f in files if f == 'secret']\n"
        "os.symlink('/workspace/secret', 'link')\n"
        "try:\n"
        "    print('read', open('link').read())\n"
        "except OSError as e:\n"
        "    print('failed', e.errno)\n"
        "print(found)\n"
    )
    cap = await run_code(sandbox, "python", code)
    await holder
    assert token.encode() not in cap.stdout
    assert cap.text.splitlines() == ["failed 2", "[]"], cap


async def test_the_hosts_installed_python_packages_are_not_visible(
    sandbox: BubblewrapSandbox,
) -> None:
    # Only the standard library: what the host has installed (pip, certifi, ...) is not
    # part of a candidate's Python, and `exit()` (from site) still works.
    code = (
        "import importlib.util, json, os, site\n"
        "dirs = [p for p in site.getsitepackages() if os.path.isdir(p)]\n"
        "print(json.dumps([os.listdir(p) for p in dirs]))\n"
        "print(importlib.util.find_spec('pip'))\n"
        "exit(4)\n"
    )
    cap = await run_code(sandbox, "python", code)
    assert cap.result.exit_code == 4, cap
    listed, pip = cap.text.splitlines()
    assert all(entries == [] for entries in json.loads(listed)) and json.loads(listed)
    assert pip == "None"
