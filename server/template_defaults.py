"""The templates `POST /api/v1/templates/initialize` creates: one per language Duet runs.

Seed 002 (DevPocket) ships five defaults; each becomes the template of the Duet language
that does its job: Python 3.11 → `python`, Node.js 18 LTS → `javascript` (Duet runs
Node.js 20), Go 1.21 → `go`, Rust → `rust`, Ubuntu 22.04 (a shell with the usual tools) →
`bash`. They keep the seed's ports. The other languages of the runner's table (not `html`,
which never runs) get one each as well. What a run really gets (image, resources,
environment, commands) comes from the language table, so a default never promises what
the runner does not do.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.languages import get_language
from schema.models.templates import Category


@dataclass(frozen=True)
class DefaultTemplate:
    language: str
    display_name: str
    description: str
    tags: tuple[str, ...]
    starter: str
    documentation_url: str
    category: Category = "programming_language"
    # Only the seed's five have one (and Duet's sandboxes have no network anyway).
    default_port: int | None = None

    @property
    def name(self) -> str:
        return self.language

    @property
    def files(self) -> dict[str, str]:
        return {get_language(self.language).source_file: self.starter}


# The starters are the web app's for a new interview (web/src/templates.js).
DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        "python", "Python 3",
        "Python with the standard library only. DevPocket's Python 3.11 template.",
        ("python", "scripting"),
        'def solve():\n    print("Hello, Duet!")\n\n\nsolve()\n',
        "https://docs.python.org/3/", default_port=8080,
    ),
    DefaultTemplate(
        "javascript", "JavaScript (Node.js)",
        "JavaScript on Node.js, with its built-in modules. DevPocket's Node.js 18 LTS "
        "template; Duet runs Node.js 20.",
        ("javascript", "node"),
        'function solve() {\n  console.log("Hello, Duet!");\n}\n\nsolve();\n',
        "https://nodejs.org/docs/latest/api/", default_port=3000,
    ),
    DefaultTemplate(
        "go", "Go",
        "A single-file Go program, built with `go build`. DevPocket's Go 1.21 template.",
        ("go", "compiled"),
        'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello, Duet!")\n}\n',
        "https://go.dev/doc/", default_port=8080,
    ),
    DefaultTemplate(
        "rust", "Rust",
        "A single-file Rust program, built with `rustc` (no Cargo crates). DevPocket's "
        "Rust Latest template.",
        ("rust", "compiled"),
        'fn main() {\n    println!("Hello, Duet!");\n}\n',
        "https://doc.rust-lang.org/std/", default_port=8080,
    ),
    DefaultTemplate(
        "bash", "Bash",
        "A Bash script with the usual command-line tools. DevPocket's Ubuntu 22.04 "
        "template: its shell.",
        ("bash", "shell"),
        'echo "Hello, Duet!"\n',
        "https://www.gnu.org/software/bash/manual/", category="operating_system",
        default_port=8080,
    ),
    DefaultTemplate(
        "typescript", "TypeScript",
        "TypeScript compiled with `tsc`, run on Node.js.",
        ("typescript", "node"),
        'function solve(): void {\n  console.log("Hello, Duet!");\n}\n\nsolve();\n',
        "https://www.typescriptlang.org/docs/",
    ),
    DefaultTemplate(
        "c", "C", "C17, compiled with gcc -O2.", ("c", "compiled"),
        '#include <stdio.h>\n\nint main(void) {\n    printf("Hello, Duet!\\n");\n'
        "    return 0;\n}\n",
        "https://en.cppreference.com/w/c",
    ),
    DefaultTemplate(
        "cpp", "C++", "C++17, compiled with g++ -O2.", ("cpp", "compiled"),
        '#include <iostream>\n\nint main() {\n    std::cout << "Hello, Duet!" << std::endl;\n'
        "    return 0;\n}\n",
        "https://en.cppreference.com/w/cpp",
    ),
    DefaultTemplate(
        "java", "Java", "Java 17: a public class Main, compiled with javac.", ("java", "jvm"),
        "public class Main {\n    public static void main(String[] args) {\n"
        '        System.out.println("Hello, Duet!");\n    }\n}\n',
        "https://docs.oracle.com/en/java/javase/17/",
    ),
    DefaultTemplate(
        "ruby", "Ruby", "Ruby with its standard library.", ("ruby", "scripting"),
        'puts "Hello, Duet!"\n',
        "https://docs.ruby-lang.org/en/3.1/",
    ),
)  # fmt: skip
