"""No function over 60 lines in campaigns/ and agent/ without a one-line reason.

A long function is where a second idea hides; one that must stay long says why, with a
``# long: <reason>`` comment on its ``def`` line or the line above it (above its
decorators, if it has any). Length counts every line from ``def`` to the function's last
line, docstring included.

:data:`ALLOWED` lists the long functions of files other work owns at the time of writing
(issue #31: the spec's options and the XRD package); each entry is a place to split or
give a reason, after which it must leave the list (the second test fails on an entry
that no longer names a long, unexplained function). Empty it; do not add to it.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("campaigns", "agent")
MAX_LINES = 60
REASON = re.compile(r"#\s*long:\s*\S")

ALLOWED: set[str] = set()
"""``path::qualified name`` of long functions in files others own (module docstring)."""


def _functions(tree: ast.AST, prefix: str = ""):
    """``(qualified name, node)`` of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")


def _has_reason(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    places = {node.lineno, node.lineno - 1, first - 1}
    return any(1 <= n <= len(lines) and REASON.search(lines[n - 1]) for n in places)


def long_functions(root: Path = ROOT) -> dict[str, int]:
    """``path::name`` → length of every function over :data:`MAX_LINES` lines without a
    ``# long:`` reason, under :data:`PACKAGES`."""
    found = {}
    for package in PACKAGES:
        for file in sorted((root / package).rglob("*.py")):
            text = file.read_text(encoding="utf-8")
            lines = text.splitlines()
            for name, node in _functions(ast.parse(text, filename=str(file))):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_LINES and not _has_reason(lines, node):
                    found[f"{file.relative_to(root).as_posix()}::{name}"] = length
    return found


def test_no_long_function_without_a_reason() -> None:
    found = long_functions()
    unexplained = {k: n for k, n in found.items() if k not in ALLOWED}
    assert not unexplained, (
        "functions over 60 lines: split them, or put `# long: <reason>` on the def line: "
        + ", ".join(f"{k} ({n} lines)" for k, n in sorted(unexplained.items())))


def test_the_allowlist_names_only_long_functions() -> None:
    stale = ALLOWED - set(long_functions())
    assert not stale, f"no longer long (or explained): remove from ALLOWED: {sorted(stale)}"


def test_the_check_finds_a_long_function_and_accepts_a_reason(tmp_path: Path) -> None:
    body = "".join(f"x{i} = {i}\n" for i in range(MAX_LINES))
    method = textwrap.indent(body, " " * 8)
    pkg = tmp_path / "agent"
    pkg.mkdir()
    (tmp_path / "campaigns").mkdir()
    (pkg / "a.py").write_text(f"class A:\n    @staticmethod\n    def f():\n{method}", encoding="utf-8")
    (pkg / "b.py").write_text(f"def g():\n{textwrap.indent(body, '    ')}    return 0\n",
                              encoding="utf-8")
    short = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES - 1))
    (pkg / "c.py").write_text(f"def h():\n{short}", encoding="utf-8")  # 60 lines: fine
    assert long_functions(tmp_path) == {"agent/a.py::A.f": MAX_LINES + 1,
                                        "agent/b.py::g": MAX_LINES + 2}
    (pkg / "a.py").write_text(f"class A:\n    # long: one table of cases\n    @staticmethod\n"
                              f"    def f():\n{method}", encoding="utf-8")
    (pkg / "b.py").write_text(f"def g():  # long: a reason\n{textwrap.indent(body, '    ')}"
                              "    return 0\n", encoding="utf-8")
    assert long_functions(tmp_path) == {}
    (pkg / "b.py").write_text(f"def g():  # long:\n{textwrap.indent(body, '    ')}", encoding="utf-8")
    assert list(long_functions(tmp_path)) == ["agent/b.py::g"]  # a reason must say something
