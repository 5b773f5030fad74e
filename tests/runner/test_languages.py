"""Every runnable language: hello world with stdin, compile errors, runtime errors."""

from __future__ import annotations

import pytest

from runner.bubblewrap import BubblewrapSandbox
from runner.job import RunJob
from runner.languages import LANGUAGES, detect_languages, get_language
from tests.runner.conftest import run_code

# Reads one word from stdin and greets it.
HELLO = {
    "python": "print('hello', input())",
    "javascript": "const s = require('fs').readFileSync(0, 'utf8').trim(); console.log('hello', s)",
    "typescript": (
        "const s: string = require('fs').readFileSync(0, 'utf8').trim();\nconsole.log('hello', s);"
    ),
    "bash": "read -r name; echo hello $name",
    "c": (
        '#include <stdio.h>\nint main(void){char b[64]; if (scanf("%63s", b) != 1) return 9;'
        ' printf("hello %s\\n", b); return 0;}'
    ),
    "cpp": (
        "#include <iostream>\n#include <string>\nint main(){std::string s; std::cin >> s;"
        ' std::cout << "hello " << s << std::endl;}'
    ),
    "java": (
        "import java.util.Scanner;\npublic class Main { public static void main(String[] a) {"
        ' Scanner in = new Scanner(System.in); System.out.println("hello " + in.next()); } }'
    ),
    "ruby": 'puts "hello #{gets.strip}"',
    "go": (
        'package main\nimport "fmt"\nfunc main() { var s string; fmt.Scan(&s);'
        ' fmt.Println("hello", s) }'
    ),
    "rust": (
        "use std::io::Read;\nfn main() { let mut s = String::new();"
        " std::io::stdin().read_to_string(&mut s).unwrap();"
        ' println!("hello {}", s.trim()); }'
    ),
}

# Writes to stderr, then exits with status 3 at run time.
RUNTIME_ERROR = {
    "python": "import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)",
    "javascript": "console.error('boom'); process.exit(3)",
    "typescript": "console.error('boom'); process.exit(3);",
    "bash": "echo boom >&2; exit 3",
    "c": '#include <stdio.h>\nint main(void){fprintf(stderr, "boom\\n"); return 3;}',
    "cpp": '#include <iostream>\nint main(){std::cerr << "boom" << std::endl; return 3;}',
    "java": (
        "public class Main { public static void main(String[] a) {"
        ' System.err.println("boom"); System.exit(3); } }'
    ),
    "ruby": "$stderr.puts 'boom'; exit 3",
    "go": (
        'package main\nimport ("fmt"; "os")\n'
        'func main() { fmt.Fprintln(os.Stderr, "boom"); os.Exit(3) }'
    ),
    "rust": 'fn main() { eprintln!("boom"); std::process::exit(3); }',
}

# Uncaught errors: the runtime's own failure status.
CRASH = {
    "python": ("raise ValueError('bad')", 1, None, b"ValueError"),
    "javascript": ("throw new Error('bad')", 1, None, b"Error: bad"),
    "java": (
        "public class Main { public static void main(String[] a) {"
        ' throw new IllegalStateException("bad"); } }',
        1,
        None,
        b"IllegalStateException",
    ),
    "c": ("#include <stdlib.h>\nint main(void){abort();}", None, "SIGABRT", b""),
    "rust": ('fn main() { panic!("bad"); }', 101, None, b"panicked"),
    "go": ('package main\nfunc main() { panic("bad") }', 2, None, b"panic: bad"),
}

COMPILE_ERROR = {
    "typescript": "const x: number = 'not a number';\nconsole.log(x);",
    "c": "int main(void) { return undefined_name; }",
    "cpp": "int main() { return undefined_name; }",
    "java": "public class Main { public static void main(String[] a) { int x = ; } }",
    "go": "package main\nfunc main() { undefinedName() }",
    "rust": 'fn main() { let x: u32 = "nope"; }',
}

RUNNABLE = [name for name, lang in LANGUAGES.items() if lang.runnable]


def test_tables_cover_every_runnable_language() -> None:
    assert set(HELLO) == set(RUNNABLE) == set(RUNTIME_ERROR)
    compiled = {name for name in RUNNABLE if LANGUAGES[name].compile is not None}
    assert compiled == set(COMPILE_ERROR)
    assert {"python", "javascript", "bash", "c", "cpp", "java", "html"} <= set(LANGUAGES)


async def test_detect_languages_reports_every_language() -> None:
    infos = await detect_languages()
    assert [i.name for i in infos] == list(LANGUAGES)
    by_name = {i.name: i for i in infos}
    for name in RUNNABLE:
        info = by_name[name]
        assert info.available, info
        assert info.runnable
        assert info.version and info.version[0].isdigit(), info
    assert by_name["html"].runnable is False
    assert by_name["html"].available is True
    # Cached: the second call returns equal data without probing again.
    assert await detect_languages() == infos
    assert by_name["python"].model_dump().keys() == {"name", "version", "available", "runnable"}


async def test_python_version_matches_the_sandboxed_interpreter(
    sandbox: BubblewrapSandbox,
) -> None:
    infos = {i.name: i for i in await detect_languages()}
    cap = await run_code(sandbox, "python", "import platform; print(platform.python_version())")
    assert cap.text.strip() == infos["python"].version


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(KeyError):
        get_language("cobol")


async def test_html_is_not_runnable(sandbox: BubblewrapSandbox) -> None:
    async def ignore(_: str, __: bytes) -> None:
        pass

    with pytest.raises(ValueError, match="not a runnable"):
        RunJob.of(get_language("html"), "<p>hi</p>", on_output=ignore)


@pytest.mark.parametrize("language", RUNNABLE)
async def test_hello_world_with_stdin(sandbox: BubblewrapSandbox, language: str) -> None:
    cap = await run_code(sandbox, language, HELLO[language], "world\n")
    assert cap.result.exit_code == 0, (cap.result, cap.stderr)
    assert cap.result.signal is None
    assert cap.stdout == b"hello world\n"
    assert cap.result.stage == "run"


@pytest.mark.parametrize("language", RUNNABLE)
async def test_runtime_error_exit_code(sandbox: BubblewrapSandbox, language: str) -> None:
    cap = await run_code(sandbox, language, RUNTIME_ERROR[language])
    assert cap.result.exit_code == 3, (cap.result, cap.stderr)
    assert cap.result.stage == "run"
    assert b"boom" in cap.stderr
    assert not cap.result.ok


@pytest.mark.parametrize("language", sorted(CRASH))
async def test_uncaught_error(sandbox: BubblewrapSandbox, language: str) -> None:
    code, exit_code, signal, marker = CRASH[language]
    cap = await run_code(sandbox, language, code)
    assert (cap.result.exit_code, cap.result.signal) == (exit_code, signal), cap
    assert marker in cap.stderr


@pytest.mark.parametrize("language", sorted(COMPILE_ERROR))
async def test_compile_error_is_output_not_exception(
    sandbox: BubblewrapSandbox, language: str
) -> None:
    cap = await run_code(sandbox, language, COMPILE_ERROR[language])
    assert cap.result.stage == "compile", cap
    assert cap.result.exit_code not in (0, None), cap
    # tsc reports errors on stdout, the others on stderr.
    assert (cap.stderr + cap.stdout).strip(), cap
