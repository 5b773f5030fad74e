// What a new interview's editor starts with, per language.
export const STARTER_CODE = {
  python: 'def solve():\n    print("Hello, Duet!")\n\n\nsolve()\n',
  javascript: 'function solve() {\n  console.log("Hello, Duet!");\n}\n\nsolve();\n',
  typescript: 'function solve(): void {\n  console.log("Hello, Duet!");\n}\n\nsolve();\n',
  bash: 'echo "Hello, Duet!"\n',
  c: '#include <stdio.h>\n\nint main(void) {\n    printf("Hello, Duet!\\n");\n    return 0;\n}\n',
  cpp: '#include <iostream>\n\nint main() {\n    std::cout << "Hello, Duet!" << std::endl;\n    return 0;\n}\n',
  java: 'public class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello, Duet!");\n    }\n}\n',
  go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello, Duet!")\n}\n',
  ruby: 'puts "Hello, Duet!"\n',
  rust: 'fn main() {\n    println!("Hello, Duet!");\n}\n',
  html: '<!doctype html>\n<h1>Hello, Duet!</h1>\n'
}

export const LANGUAGE_LABELS = {
  python: 'Python', javascript: 'JavaScript', typescript: 'TypeScript', bash: 'Bash', c: 'C',
  cpp: 'C++', java: 'Java', go: 'Go', ruby: 'Ruby', rust: 'Rust', html: 'HTML'
}

export const label = (name) => LANGUAGE_LABELS[name] || name
