"""Every runnable language of the table through the API: hello world, stdin, a runtime
failure with its exit code, and (compiled languages) a compile error reported as output."""

from __future__ import annotations

import pytest

from runner.languages import LANGUAGES
from server.app import create_app
from tests.conftest import create_room
from tests.runs_helpers import RunPeer, start_run

# Each prints a greeting, echoes a line of stdin, writes "boom" to stderr, exits with 3.
PROGRAMS = {
    "python": """import sys
print("Hello, World!")
line = sys.stdin.readline().strip()
print("got " + line)
sys.stderr.write("boom\\n")
sys.exit(3)
""",
    "javascript": """const fs = require("fs");
console.log("Hello, World!");
const line = fs.readFileSync(0, "utf8").trim();
console.log("got " + line);
console.error("boom");
process.exit(3);
""",
    "typescript": """const fs = require("fs");
const greeting: string = "Hello, World!";
console.log(greeting);
const line: string = fs.readFileSync(0, "utf8").trim();
console.log("got " + line);
console.error("boom");
process.exit(3);
""",
    "bash": """echo "Hello, World!"
read -r line
echo "got $line"
echo boom >&2
exit 3
""",
    "c": """#include <stdio.h>
#include <string.h>
int main(void) {
    char line[100];
    printf("Hello, World!\\n");
    if (!fgets(line, sizeof line, stdin)) return 9;
    line[strcspn(line, "\\n")] = 0;
    printf("got %s\\n", line);
    fflush(stdout);
    fprintf(stderr, "boom\\n");
    return 3;
}
""",
    "cpp": """#include <iostream>
#include <string>
int main() {
    std::cout << "Hello, World!" << std::endl;
    std::string line;
    std::getline(std::cin, line);
    std::cout << "got " << line << std::endl;
    std::cerr << "boom" << std::endl;
    return 3;
}
""",
    "java": """import java.util.Scanner;
public class Main {
    public static void main(String[] args) {
        System.out.println("Hello, World!");
        String line = new Scanner(System.in).nextLine();
        System.out.println("got " + line);
        System.err.println("boom");
        System.exit(3);
    }
}
""",
    "ruby": """puts "Hello, World!"
line = $stdin.gets.strip
puts "got #{line}"
$stderr.puts "boom"
exit 3
""",
    "go": """package main

import (
\t"bufio"
\t"fmt"
\t"os"
\t"strings"
)

func main() {
\tfmt.Println("Hello, World!")
\tline, _ := bufio.NewReader(os.Stdin).ReadString('\\n')
\tfmt.Println("got " + strings.TrimSpace(line))
\tfmt.Fprintln(os.Stderr, "boom")
\tos.Exit(3)
}
""",
    "rust": """use std::io::BufRead;
fn main() {
    println!("Hello, World!");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    println!("got {}", line.trim());
    eprintln!("boom");
    std::process::exit(3);
}
""",
}

BROKEN = {
    "typescript": 'const n: number = "not a number";\n',
    "c": "int main(void) { return undefined_name; }\n",
    "cpp": "int main() { undefined_call(); }\n",
    "java": "public class Main { public static void main(String[] a) { int x = ; } }\n",
    "go": "package main\nfunc main() { undefined() }\n",
    "rust": 'fn main() { let x: i32 = "s"; }\n',
}


def test_the_table_is_covered():
    runnable = {name for name, language in LANGUAGES.items() if language.runnable}
    assert runnable == set(PROGRAMS)
    compiled = {name for name, language in LANGUAGES.items() if language.compile}
    assert compiled == set(BROKEN)


@pytest.fixture
async def app_client(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings))
    yield client


async def _peer(client, token: str) -> RunPeer:
    peer = RunPeer()
    await peer.connect(str(client.make_url("/")), token)
    return peer


@pytest.mark.parametrize("language", sorted(PROGRAMS))
async def test_hello_stdin_and_exit_code(app_client, language):
    room = await create_room(app_client, code=PROGRAMS[language], language=language)
    peer = await _peer(app_client, room.token)
    try:
        run = await start_run(app_client, room.id, room.token, stdin="duet\n")
        assert run["language"] == language and run["status"] == "running"
        finished = await peer.wait_finished(run["id"])
        assert peer.output(run["id"]) == "Hello, World!\ngot duet\n", peer.events
        assert "boom" in peer.output(run["id"], "stderr")
        assert finished["exitCode"] == 3 and finished["stage"] == "run", finished
        assert not (finished["timedOut"] or finished["cancelled"] or finished["signal"])
    finally:
        await peer.disconnect()


@pytest.mark.parametrize("language", sorted(BROKEN))
async def test_compile_error_is_output_not_a_server_error(app_client, language):
    room = await create_room(app_client, code=BROKEN[language], language=language)
    peer = await _peer(app_client, room.token)
    try:
        run = await start_run(app_client, room.id, room.token)
        finished = await peer.wait_finished(run["id"])
        assert finished["stage"] == "compile" and finished["exitCode"] not in (0, None)
        # Diagnostics are stderr whichever stream the compiler wrote them to (tsc: stdout).
        assert peer.output(run["id"], "stderr").strip(), peer.events
        assert peer.output(run["id"], "stdout") == "", peer.events
    finally:
        await peer.disconnect()
