"""tools/mutation_prepare.py and tools/mutmut.toml: what mutmut is kept from, and its scope.

The full mutmut run (tools/mutation_run.sh, about an hour and a half) is not part of
the suite; see docs/testing.md.
"""

from __future__ import annotations

import ast
import fnmatch
import tomllib
from pathlib import Path

import mutation_prepare  # tools/ is on sys.path (conftest.py)

ROOT = Path(__file__).resolve().parents[1]
PRAGMA = mutation_prepare.PRAGMA

SOURCE = '''\
def rule(x, limit):
    if x > limit:  # the rule: mutated
        raise ValueError(f"x is {x}, over "
                         "the limit")
    problems.append(Problem("where", f"text {x}",
                            "fix"))
    warnings.warn("careful",
                  RuntimeWarning)
    doc = """a string
over lines"""
    return x * 2
'''


def test_message_lines_are_marked_and_the_rules_are_not():
    marked, n = mutation_prepare.mark(SOURCE)
    assert ast.dump(ast.parse(marked)) == ast.dump(ast.parse(SOURCE))
    assert n == 6
    for line in marked.splitlines():
        text = line.split("#")[0].strip()
        if any(word in line for word in ("raise", "x is", "the limit", "Problem", '"fix"',
                                         "warnings.warn", "RuntimeWarning")):
            assert line.endswith(PRAGMA), line       # every line holding message text
        elif text.strip(")") == "":
            pass                                      # the closing brackets moved down
        else:
            assert PRAGMA not in line, line           # the rule, the string, the return
    # the last line's text is marked inside the brackets, where mutmut reads it
    assert '"the limit"  ' + PRAGMA + "\n" in marked
    assert mutation_prepare.mark(marked)[1] == 0     # marking twice changes nothing


def test_every_core_module_is_mutated_and_its_tests_exist():
    config = tomllib.loads((ROOT / "tools" / "mutmut.toml").read_text(encoding="utf-8"))
    mm, scope = config["tool"]["mutmut"], config["tool"]["siteplan-mutation"]["scope"]
    for module in ("methods/constraints", "methods/transforms", "methods/aggregate",
                   "methods/weights", "measures/basic", "measures/raster", "layers/raster",
                   "layers/population", "locate/select", "locate/_allocate_build",
                   "locate/_allocate_milp"):
        path = f"siteplan/{module}.py"
        assert path in mm["only_mutate"] and (ROOT / path).is_file()
        assert any(fnmatch.fnmatch(f"siteplan.{module.replace('/', '.')}.x_f__mutmut_1", p)
                   or p.startswith(f"siteplan.{module.replace('/', '.')}.x_") for p in scope)
    for test in mm["pytest_add_cli_args_test_selection"]:
        assert (ROOT / test).is_file(), test
    # the scope's functions of selection and allocation exist
    for pattern in scope:
        if pattern.endswith("__mutmut_*"):
            module, func = pattern.removesuffix("__mutmut_*").rsplit(".", 1)
            text = (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
            assert f"def {func.removeprefix('x_')}(" in text, pattern
    # the message texts of every mutated module can be marked without changing its code
    for path in mm["only_mutate"]:
        source = (ROOT / path).read_text(encoding="utf-8")
        marked, n = mutation_prepare.mark(source)
        assert ast.dump(ast.parse(marked)) == ast.dump(ast.parse(source))
        assert (n > 0) == ("raise " in source or "Problem(" in source), path
