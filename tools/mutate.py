"""Mutation testing of siteplan's core rules: does some test fail when a rule is made wrong?

Each mutant is a one-line change of a rule (a reversed comparison, a dropped
term, min and max swapped, a boundary moved by one) in ``methods/constraints.py``,
``methods/transforms.py``, ``methods/aggregate.py`` or ``methods/weights.py``. For each
mutant the
package is copied to a temporary folder, the change is made there (the
checkout is never touched), and the tests of the mutated module run against
the copy (``PYTHONPATH`` puts it before the editable install) with ``-x``. A
mutant is *killed* when a test fails, errors or the run times out, and
*survives* when every test passes.

A survivor is either a gap in the tests (write a test that it fails) or an
*equivalent* mutant: a change that no input the rule can receive tells apart
from the original. Equivalent mutants carry their reason in the table below
and the report; the script exits 1 when any other mutant survives, or when
one marked equivalent is killed (the reason is then wrong).

Usage (from the repository root, with the test extra installed)::

    .venv/bin/python tools/mutate.py                      # every mutant, ~4 minutes
    .venv/bin/python tools/mutate.py --report /tmp/curated.md   # then, into the report:
    .venv/bin/python tools/mutation_report.py WORK --curated /tmp/curated.md \
        --report docs/mutation-report.md
    .venv/bin/python tools/mutate.py --only decay_max_distance_inclusive
    .venv/bin/python tools/mutate.py --list               # names and changes, no run
    .venv/bin/python tools/mutate.py --check              # every mutant applies (no run)

Pytest arguments after ``--`` are passed on (e.g. ``-- -p no:randomly``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "siteplan"

#: the tests of each mutated module, focused files first (``-x`` stops at the first failure)
TESTS: dict[str, tuple[str, ...]] = {
    "methods/constraints.py": ("tests/methods/test_rules_constraints.py",
                               "tests/scoring/test_scoring.py", "tests/layers/test_raster.py"),
    "methods/transforms.py": ("tests/methods/test_rules_transforms.py",
                              "tests/methods/test_transforms_weights.py"),
    "methods/aggregate.py": ("tests/methods/test_rules_aggregate.py",
                             "tests/methods/test_transforms_weights.py",
                             "tests/methods/test_contributions.py"),
    "methods/weights.py": ("tests/methods/test_rules_aggregate.py",
                           "tests/methods/test_transforms_weights.py"),
}


@dataclass(frozen=True)
class Mutant:
    """One change: ``old`` (found exactly once in ``module``) becomes ``new``."""

    name: str
    module: str
    old: str
    new: str
    equivalent: str = ""   # why no input tells it apart, when it cannot be killed


M = Mutant
MUTANTS: tuple[Mutant, ...] = (
    # ------------------------------------------------------------------ constraints
    M("min_area_reversed", "methods/constraints.py",
      'return shapely.area(geoms) < con["value"]', 'return shapely.area(geoms) > con["value"]'),
    M("min_area_inclusive", "methods/constraints.py",
      'return shapely.area(geoms) < con["value"]', 'return shapely.area(geoms) <= con["value"]'),
    M("max_area_reversed", "methods/constraints.py",
      'return shapely.area(geoms) > con["value"]', 'return shapely.area(geoms) < con["value"]'),
    M("max_area_inclusive", "methods/constraints.py",
      'return shapely.area(geoms) > con["value"]', 'return shapely.area(geoms) >= con["value"]'),
    M("outside_buffer_inclusive", "methods/constraints.py",
      "fgeoms[i_f]) < buffer", "fgeoms[i_f]) <= buffer"),
    M("outside_pieces_skip_a_segment", "methods/constraints.py",
      "for s in range(0, len(xy) - 1, 16)]", "for s in range(0, len(xy) - 1, 17)]"),
    M("outside_touching_overlaps", "methods/constraints.py",
      "inside = ~shapely.touches(", "inside = shapely.touches("),
    M("outside_touching_filter_dropped", "methods/constraints.py",
      "fail[i_in[inside]] = True", "fail[i_in] = True"),
    M("outside_zero_buffer_as_buffer", "methods/constraints.py",
      "    if buffer > 0:\n        tree, fgeoms = _pieces(",
      "    if buffer >= 0:\n        tree, fgeoms = _pieces("),
    M("slope_above_inclusive", "methods/constraints.py",
      'at_least = float(np.nextafter(con["slope_above"], np.inf))',
      'at_least = float(con["slope_above"])'),
    M("raster_share_at_limit_fails", "methods/constraints.py",
      "> allowed + 1e-9", "> allowed - 1e-9"),
    M("raster_no_cell_fails", "methods/constraints.py",
      "np.nan_to_num(share, nan=0.0)", "np.nan_to_num(share, nan=1.0)"),
    M("inside_reversed", "methods/constraints.py", "    return ~ok\n", "    return ok\n"),
    M("inside_buffer_ignored", "methods/constraints.py",
      'i_in, _ = tree.query(pts, predicate="dwithin", distance=buffer)',
      'i_in, _ = tree.query(pts, predicate="intersects")'),
    M("inside_zero_buffer_as_buffer", "methods/constraints.py",
      "    if buffer > 0:\n        check_pairs(tree, pts,",
      "    if buffer >= 0:\n        check_pairs(tree, pts,",
      equivalent="with buffer 0 the query becomes dwithin(distance=0), which holds exactly "
                 "when the point intersects a feature: the same pairs as predicate "
                 "'intersects' (and check_pairs with a 0 m buffer counts the same pairs)"),
    M("attribute_min_exclusive", "methods/constraints.py",
      'fail |= ~(num >= con["min"])', 'fail |= ~(num > con["min"])'),
    M("attribute_min_nan_kept", "methods/constraints.py",
      'fail |= ~(num >= con["min"])', 'fail |= num < con["min"]'),
    M("attribute_max_exclusive", "methods/constraints.py",
      'fail |= ~(num <= con["max"])', 'fail |= ~(num < con["max"])'),
    M("attribute_max_as_min", "methods/constraints.py",
      'fail |= ~(num <= con["max"])', 'fail |= ~(num >= con["max"])'),
    M("attribute_in_reversed", "methods/constraints.py",
      'fail |= ~text.isin({str(v).lower() for v in con["in"]})',
      'fail |= text.isin({str(v).lower() for v in con["in"]})'),
    M("attribute_in_case_sensitive", "methods/constraints.py",
      'text.isin({str(v).lower() for v in con["in"]})',
      'text.isin({str(v) for v in con["in"]})'),
    M("attribute_not_in_reversed", "methods/constraints.py",
      'fail |= text.isin({str(v).lower() for v in con["not_in"]})',
      'fail |= ~text.isin({str(v).lower() for v in con["not_in"]})'),
    M("rule_ids_off_by_one", "methods/constraints.py",
      "out[fail & ~more] = str(j + 1)", "out[fail & ~more] = str(j)"),
    M("excluded_text_drops_second_rule", "methods/constraints.py",
      'reasons[more] = reasons[more] + "; " + label', "reasons[more] = reasons[more]"),
    # ------------------------------------------------------------------ transforms
    M("linear_from_best", "methods/transforms.py",
      "v = (x - worst) / (best - worst)", "v = (x - best) / (best - worst)"),
    M("linear_unclipped", "methods/transforms.py",
      "return np.clip(v, 0.0, 1.0)\n\n\ndef _fuzzy_small", "return v\n\n\ndef _fuzzy_small",
      equivalent="apply_transform clips every function's output to [0, 1] again"),
    M("fuzzy_small_spread_sign", "methods/transforms.py",
      "v = 1.0 / (1.0 + (np.maximum(x, 0.0) / midpoint) ** spread)",
      "v = 1.0 / (1.0 + (np.maximum(x, 0.0) / midpoint) ** -spread)"),
    M("fuzzy_small_infinity_guard_dropped", "methods/transforms.py",
      "return np.where(np.isinf(x), 0.0, v)", "return v",
      equivalent="at x = +inf the formula already gives 1 / (1 + inf) = 0, and any finite "
                 "x is untouched; only x = -inf differs (1 without the guard), where the "
                 "membership is undefined and no documented value exists to test"),
    M("fuzzy_large_zero_guard_dropped", "methods/transforms.py",
      "v = np.where(x <= 0, 0.0, v)\n", "",
      equivalent="at x <= 0 the formula already gives 1 / (1 + 0 ** -spread) = "
                 "1 / (1 + inf) = 0 (np.maximum clamps negatives to 0)"),
    M("fuzzy_large_infinity_guard_dropped", "methods/transforms.py",
      "return np.where(np.isposinf(x), 1.0, v)", "return v",
      equivalent="at x = +inf the formula already gives 1 / (1 + inf ** -spread) = "
                 "1 / (1 + 0) = 1"),
    M("decay_max_distance_inclusive", "methods/transforms.py",
      "v = np.where(x > max_distance, 0.0, v)", "v = np.where(x >= max_distance, 0.0, v)"),
    M("decay_max_distance_ignored", "methods/transforms.py",
      "v = np.where(x > max_distance, 0.0, v)", "v = v"),
    M("decay_half_distance_doubled", "methods/transforms.py",
      "np.power(0.5, np.maximum(x, 0.0) / half_distance)",
      "np.power(0.5, np.maximum(x, 0.0) / (2 * half_distance))"),
    M("threshold_break_to_lower_step", "methods/transforms.py",
      'side="right"', 'side="left"'),
    M("threshold_nan_kept_as_last_step", "methods/transforms.py",
      "return np.where(np.isnan(x), np.nan, out)\n\n\nTRANSFORMS",
      "return out\n\n\nTRANSFORMS"),
    M("categorical_default_one", "methods/transforms.py",
      'default = float(params.get("default", 0.0))',
      'default = float(params.get("default", 1.0))'),
    M("categorical_case_sensitive", "methods/transforms.py",
      "mapped = keys.str.lower().map(table)", "mapped = keys.map(table)"),
    M("categorical_spaces_kept", "methods/transforms.py",
      '.astype("string").str.strip()\n        mapped', '.astype("string")\n        mapped'),
    M("saturation_linear_any_direction", "methods/transforms.py",
      'if kind == "linear" and spec["best"] < spec["worst"]:', 'if kind == "linear":'),
    M("saturation_threshold_not_monotone", "methods/transforms.py",
      'if kind == "threshold" and spec["values"][-1] == 0 and spec["values"] == sorted(\n'
      '            spec["values"], reverse=True):',
      'if kind == "threshold" and spec["values"][-1] == 0:'),
    M("saturation_threshold_off_by_one", "methods/transforms.py",
      'return float(spec["breaks"][first_zero - 1])',
      'return float(spec["breaks"][min(first_zero, len(spec["breaks"]) - 1)])'),
    # ------------------------------------------------------------------ aggregation
    M("wgm_zero_weight_vetoes", "methods/aggregate.py",
      "return np.where(zero @ (w > 0) > 0, 0.0, out)",
      "return np.where(zero @ (w >= 0) > 0, 0.0, out)"),
    M("wgm_zero_weight_vetoes_batched", "methods/aggregate.py",
      "(w > 0).astype(float) @ zero.T", "(w >= 0).astype(float) @ zero.T"),
    M("wgm_no_veto", "methods/aggregate.py",
      "return np.where(zero @ (w > 0) > 0, 0.0, out)", "return out"),
    M("owa_alpha_ignored", "methods/aggregate.py",
      "owa_order_weights(c.shape[1], alpha))", "owa_order_weights(c.shape[1], 1.0))"),
    M("owa_ascending_order", "methods/aggregate.py",
      'order = np.argsort(-c, axis=1, kind="stable")',
      'order = np.argsort(c, axis=1, kind="stable")'),
    M("owa_order_weights_off_by_one", "methods/aggregate.py",
      "k = np.arange(1, n + 1)", "k = np.arange(2, n + 2)"),
    M("owa_criterion_weights_dropped", "methods/aggregate.py",
      "u = w[order] * v\n", "u = np.ones_like(w)[order] * v\n"),
    M("topsis_ideals_swapped", "methods/aggregate.py",
      "best, worst = (rr * w).max(axis=0), (rr * w).min(axis=0)",
      "best, worst = (rr * w).min(axis=0), (rr * w).max(axis=0)"),
    M("topsis_ideals_swapped_batched", "methods/aggregate.py",
      "best, worst = rr.max(axis=0), rr.min(axis=0)",
      "best, worst = rr.min(axis=0), rr.max(axis=0)"),
    M("topsis_reference_ignored", "methods/aggregate.py",
      "ref = c if reference is None else reference", "ref = c"),
    M("topsis_all_alike_scores_zero", "methods/aggregate.py",
      "out=np.ones_like(total), where=total > 0)", "out=np.zeros_like(total), where=total > 0)"),
    M("shapley_coefficient_off_by_one", "methods/aggregate.py",
      "factorial(k) * factorial(n - k - 1)", "factorial(k + 1) * factorial(n - k - 1)"),
    M("shapley_base_from_full_coalition", "methods/aggregate.py",
      "float(value[0, 0])", "float(value[-1, 0])"),
    # ------------------------------------------------------------------ weights
    M("weights_zero_refused", "methods/weights.py", "elif value < 0:", "elif value <= 0:"),
    M("weights_all_zero_accepted", "methods/weights.py", "if top <= 0:", "if top < 0:"),
    M("weights_huge_divided_by_total", "methods/weights.py",
      "scaled = {k: float(v) / top for", "scaled = {k: float(v) / total for"),
    M("ahp_reciprocal_tolerance_10pct", "methods/weights.py",
      "np.abs(prod - 1) > 0.01 + 1e-9", "np.abs(prod - 1) > 0.1 + 1e-9"),
    M("ahp_cr_divides_by_n", "methods/weights.py",
      "cr = max(0.0, (lam - n) / (n - 1) / ri)", "cr = max(0.0, (lam - n) / n / ri)"),
    M("ahp_smallest_eigenvalue", "methods/weights.py",
      "k = int(np.argmax(values.real))", "k = int(np.argmin(values.real))"),
    M("ahp_inconsistency_allowed", "methods/weights.py",
      "if not allow_inconsistent and cr > CR_LIMIT:", "if cr > 1e9 * CR_LIMIT:"),
)


def check(mutants: tuple[Mutant, ...]) -> list[str]:
    """Problems: a mutant whose ``old`` text is not found exactly once, or a duplicate name."""
    problems, seen = [], set()
    for m in mutants:
        if m.name in seen:
            problems.append(f"{m.name}: the name is used twice")
        seen.add(m.name)
        if m.module not in TESTS:
            problems.append(f"{m.name}: no tests listed for {m.module}")
            continue
        n = (PACKAGE / m.module).read_text(encoding="utf-8").count(m.old)
        if n != 1:
            problems.append(f"{m.name}: the text to change occurs {n} times in "
                            f"siteplan/{m.module} (it must occur once): {m.old!r}")
    return problems


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    killed: bool
    by: str          # the first failing test, "timeout", or "" for a survivor
    seconds: float


def _copy(tmp: Path, mutant: Mutant | None) -> None:
    shutil.copytree(PACKAGE, tmp / "siteplan",
                    ignore=shutil.ignore_patterns("*.pyc"))   # numba's cache (.nbi, .nbc) is kept
    (tmp / "data").symlink_to(ROOT / "data")   # the sample beside the package, as in a checkout
    if mutant is not None:
        path = tmp / "siteplan" / mutant.module
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(mutant.old, mutant.new, 1), encoding="utf-8")


def _pytest(tmp: Path, tests: list[str], extra: list[str], timeout: float
            ) -> tuple[int | None, str]:
    # the one pytest plugin these tests use, by name: autoloading every installed plugin
    # would have pytest rewrite the asserts of their whole packages at each run (2-3 s)
    env = {**os.environ, "PYTHONPATH": str(tmp), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    # the venv's pytest script, not "python -m pytest", which would put the checkout first
    cmd = [str(Path(sys.executable).with_name("pytest")), "-x", "-q", "-p", "no:cacheprovider",
           "-p", "_hypothesis_pytestplugin", "-o", "addopts=-rfE", *tests, *extra]
    try:
        run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    return run.returncode, run.stdout + run.stderr


def _first_failure(output: str) -> str:
    found = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.M)
    return found.group(1) if found else "(see the pytest output)"


def run_one(mutant: Mutant | None, tests: list[str], extra: list[str], timeout: float
            ) -> tuple[int | None, str, float]:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="siteplan-mutant-") as tmp:
        _copy(Path(tmp), mutant)
        if mutant is None:   # the copy, not the checkout, must be what the tests import
            probe = subprocess.run(
                [str(Path(sys.executable).with_name("python")), "-c",
                 "import siteplan; print(siteplan.__file__)"],
                cwd=tmp, env={**os.environ, "PYTHONPATH": tmp}, capture_output=True, text=True)
            if not probe.stdout.strip().startswith(str(Path(tmp).resolve())) and \
                    not probe.stdout.strip().startswith(tmp):
                raise SystemExit(f"the tests would not import the mutated copy: "
                                 f"{probe.stdout or probe.stderr}")
        code, output = _pytest(Path(tmp), tests, extra, timeout)
    return code, output, time.perf_counter() - start


def tests_of(module: str) -> list[str]:
    present = [t for t in TESTS[module] if (ROOT / t).is_file()]
    missing = sorted(set(TESTS[module]) - set(present))
    if missing:
        print(f"note: {', '.join(missing)} not found; {module} runs without them",
              file=sys.stderr)
    return present


def report(outcomes: list[Outcome], seconds: float) -> str:
    killed = sum(o.killed for o in outcomes)
    equivalent = [o for o in outcomes if not o.killed and o.mutant.equivalent]
    gaps = [o for o in outcomes if not o.killed and not o.mutant.equivalent]
    lines = ["# Mutation report", "",
             "Made by `python tools/mutate.py --report FILE` "
             f"({len(outcomes)} mutants, {seconds / 60:.1f} minutes on this machine).", "",
             f"- killed: {killed} of {len(outcomes)} ({100 * killed / len(outcomes):.0f} %)",
             f"- survived, equivalent (explained below): {len(equivalent)}",
             f"- survived, not explained (a missing test): {len(gaps)}", "",
             "| mutant | module | result | first failing test |", "|---|---|---|---|"]
    for o in outcomes:
        result = "killed" if o.killed else ("equivalent" if o.mutant.equivalent else
                                            "**survived**")
        lines.append(f"| `{o.mutant.name}` | {o.mutant.module} | {result} | "
                     f"{o.by.replace('|', '/')} |")
    if equivalent:
        lines += ["", "## Equivalent mutants", ""]
        lines += [f"- `{o.mutant.name}`: {o.mutant.equivalent}." for o in equivalent]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run these mutants only")
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument("--check", action="store_true",
                    help="check that every mutant applies, run nothing")
    ap.add_argument("--report", type=Path, help="write the markdown report here")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds for one mutant's tests (a timeout counts as killed)")
    args = ap.parse_args(argv)

    problems = check(MUTANTS)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    if args.check:
        print(f"{len(MUTANTS)} mutants apply")
        return 0
    chosen = MUTANTS
    if args.only:
        unknown = set(args.only) - {m.name for m in MUTANTS}
        if unknown:
            print(f"unknown mutant(s) {', '.join(sorted(unknown))}; use one of: "
                  + ", ".join(m.name for m in MUTANTS), file=sys.stderr)
            return 2
        chosen = tuple(m for m in MUTANTS if m.name in args.only)
    if args.list:
        for m in chosen:
            print(f"{m.name:38} {m.module:15} {m.old.strip()!r} -> {m.new.strip()!r}")
        return 0

    start = time.perf_counter()
    modules = sorted({m.module for m in chosen})
    # the unmutated copy must pass, or every mutant would look killed
    for module in modules:
        code, output, _ = run_one(None, tests_of(module), extra, args.timeout)
        if code != 0:
            print(output[-4000:], file=sys.stderr)
            print(f"the tests of {module} fail without any mutant: fix them first",
                  file=sys.stderr)
            return 2
    outcomes = []
    for i, m in enumerate(chosen, 1):
        code, output, secs = run_one(m, tests_of(m.module), extra, args.timeout)
        if code == 5:
            print(output[-2000:], file=sys.stderr)
            return 2
        killed = code != 0
        by = "timeout" if code is None else (_first_failure(output) if killed else "")
        outcomes.append(Outcome(m, killed, by, secs))
        state = "killed" if killed else ("equivalent" if m.equivalent else "SURVIVED")
        print(f"[{i}/{len(chosen)}] {m.name:38} {state:10} {secs:5.1f}s {by}", flush=True)
    seconds = time.perf_counter() - start
    text = report(outcomes, seconds)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    print(text.split("\n| mutant")[0])
    wrong = [o for o in outcomes if o.killed and o.mutant.equivalent]
    for o in wrong:
        print(f"{o.mutant.name} is marked equivalent but {o.by} kills it: fix its reason",
              file=sys.stderr)
    gaps = [o for o in outcomes if not o.killed and not o.mutant.equivalent]
    return 1 if gaps or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
