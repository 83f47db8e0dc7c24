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


def message_lines(tree: ast.AST) -> tuple[set[int], set[int]]:
    """Lines of message statements, and the last lines of those spanning several lines."""
    lines: set[int] = set()
    last: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) or (isinstance(node, ast.Call)
                                           and _call_name(node) in MESSAGE_CALLS):
            lines.update(range(node.lineno, node.end_lineno + 1))
            if node.end_lineno > node.lineno:
                last.add(node.end_lineno)
    return lines, last


def _split_closers(body: str, tokens: list[tokenize.TokenInfo]) -> str | None:
    """``"text"))`` -> ``"text"  # pragma\n    ))``: a comment after the closing brackets
    belongs to the whole statement, which mutmut reads at its first line only, so the last
    line's own text is marked inside the brackets. None when the line does not end so."""
    code = [t for t in tokens if t.type not in (tokenize.NEWLINE, tokenize.NL,
                                                tokenize.COMMENT, tokenize.ENDMARKER)]
    k = len(code)
    while k and code[k - 1].type == tokenize.OP and code[k - 1].string in ")]}":
        k -= 1
    if k == len(code) or k == 0 or code[k - 1].end[0] != code[k].start[0]:
        return None
    cut = code[k].start[1]
    if any(t.type == tokenize.COMMENT for t in tokens):
        return None
    indent = len(body) - len(body.lstrip())
    return (body[:cut].rstrip() + "  " + PRAGMA + "\n" + " " * indent + body[cut:].rstrip())


def mark(source: str) -> tuple[str, int]:
    """The source with the pragma on every message line it can take a comment on."""
    tree = ast.parse(source)
    wanted, last = message_lines(tree)
    inside_string, has_comment = set(), set()
    by_line: dict[int, list[tokenize.TokenInfo]] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
            inside_string.update(range(tok.start[0], tok.end[0]))   # no comment can end these
        if tok.type == tokenize.COMMENT:
            has_comment.add(tok.start[0])
        if tok.start[0] == tok.end[0]:
            by_line.setdefault(tok.start[0], []).append(tok)
    out, n = [], 0
    for i, line in enumerate(source.splitlines(keepends=True), 1):
        body = line.rstrip("\r\n")
        if (i in wanted and i not in inside_string and not body.rstrip().endswith("\\")
                and PRAGMA not in body):
            split = _split_closers(body, by_line.get(i, [])) if i in last else None
            if i in last and body.strip().strip(")]}") == "":
                pass                          # closing brackets alone: no text to mutate
            elif split is not None:
                body = split
            else:
                body += ("  " if i not in has_comment else " ") + PRAGMA
            n += body.endswith(PRAGMA) or PRAGMA + "\n" in body
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
            # mutmut re-mutates a file only when it is newer than its mutants: keep the later
            # of the source's time and this script's, so that the same source marked by the
            # same rules is not mutated again, and a change of either is
            mine = Path(__file__).stat().st_mtime_ns
            os.utime(p, ns=(st.st_atime_ns, max(st.st_mtime_ns, mine)))
        print(f"{p}: {n} message lines kept from mutation", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
