"""Marks the message texts of siteplan's core modules so that mutmut leaves them alone.

``tools/mutation_run.sh`` runs this on the *copy* of the package before mutmut
(the checkout is never changed). Every line of a ``raise`` statement, of a
``Problem(...)`` and of a ``warnings.warn(...)`` or logging call in the modules
that mutmut mutates gets mutmut's ``# pragma: no mutate`` comment, so no mutant
rewrites the wording of an error or a warning (``"XXvalueXX"``): the mutation
testing is about the rules, which input raises and what a function returns. The
condition that decides whether to raise (the ``if`` above the ``raise``) is
still mutated. A file whose syntax tree would change is left as it was.

    python tools/mutation_prepare.py COPY/siteplan/constraints.py ...
"""

from __future__ import annotations

import ast
import io
import os
import sys
import tokenize
from pathlib import Path

PRAGMA = "# pragma: no mutate"
#: calls whose arguments are only a message: siteplan's Problem and the warning/log calls
MESSAGE_CALLS = {"Problem", "warn", "warning", "info", "debug", "error", "exception"}


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")


def message_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) or (isinstance(node, ast.Call)
                                           and _call_name(node) in MESSAGE_CALLS):
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def mark(source: str) -> tuple[str, int]:
    """The source with the pragma on every message line it can take a comment on."""
    tree = ast.parse(source)
    wanted = message_lines(tree)
    inside_string, has_comment = set(), set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
            inside_string.update(range(tok.start[0], tok.end[0]))   # no comment can end these
        if tok.type == tokenize.COMMENT:
            has_comment.add(tok.start[0])
    out, n = [], 0
    for i, line in enumerate(source.splitlines(keepends=True), 1):
        body = line.rstrip("\r\n")
        if (i in wanted and i not in inside_string and not body.rstrip().endswith("\\")
                and PRAGMA not in body):
            body += ("  " if i not in has_comment else " ") + PRAGMA
            n += 1
        out.append(body + line[len(line.rstrip("\r\n")):])
    marked = "".join(out)
    if ast.dump(ast.parse(marked)) != ast.dump(tree):
        return source, 0
    return marked, n


def main(paths: list[str]) -> int:
    for p in map(Path, paths):
        text, n = mark(p.read_text(encoding="utf-8"))
        if n:
            st = p.stat()
            p.write_text(text, encoding="utf-8")
            # the source's time kept: mutmut re-mutates a file only when its source changed
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
        print(f"{p}: {n} message lines kept from mutation", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
