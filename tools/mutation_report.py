"""The report of a mutmut run of siteplan's core modules (see tools/mutation_run.sh).

Reads mutmut's results in the work folder (``mutants/**/*.meta``), keeps the
mutants in scope (``[tool.siteplan-mutation] scope`` in tools/mutmut.toml),
and writes a markdown report: per module, how many mutants were killed,
survived, had no test reaching them, or are explained as equivalent
(the ``*.toml`` files of ``tools/mutation_equivalent/``: the mutants' names,
the changed line they must still show, their kind and why no test can tell
them apart); then every survivor with its changed line.

    python tools/mutation_report.py /tmp/siteplan-mutmut --report docs/mutation-report.md

Exits 1 when an explanation no longer matches its mutant (the code moved: look again).
"""

from __future__ import annotations

import argparse
import collections
import difflib
import fnmatch
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
          34: "skipped", 35: "suspicious", 36: "timeout", 24: "timeout", -24: "timeout",
          152: "timeout", 255: "timeout", None: "not checked", 37: "type check",
          -11: "crashed"}  # a test process killed by SIGSEGV: the mutant is caught


CURATED = "\n## Curated mutants (tools/mutate.py)\n"
# why a surviving mutant is not a missing test
KINDS = {"equivalent": "no input the function can get tells it apart from the original",
         "speed": "the results are the same for every input; only time or memory differ",
         "unreachable": "the inputs that would tell it apart are refused before this code runs",
         "rounding": "the results differ only in floating-point rounding or a numerical "
                     "tolerance (its size stated), never in a rule"}


def scope(config: Path) -> list[str]:
    return tomllib.loads(config.read_text(encoding="utf-8"))["tool"]["siteplan-mutation"]["scope"]


def results(work: Path, patterns: list[str]) -> dict[str, str]:
    out = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if any(fnmatch.fnmatch(name, p) for p in patterns):
                out[name] = STATUS.get(code, "suspicious")
    return out


def changed_line(work: Path, name: str) -> str:
    """The mutant's changed line(s), from mutmut's copy of the module."""
    module, func = name.rsplit(".", 1)
    path = work / "mutants" / (module.replace(".", "/") + ".py")
    spans = json.loads(path.with_suffix(".py.spans").read_text())["spans"]
    lines = path.read_text(encoding="utf-8").splitlines()
    orig = func.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"
    a0, a1 = spans[orig]
    b0, b1 = spans[func]
    a = [x.replace(orig, "") for x in lines[a0 - 1:a1]]
    b = [x.replace(func, "") for x in lines[b0 - 1:b1]]
    diff = [d for d in difflib.unified_diff(a, b, lineterm="", n=0)
            if d[:1] in "+-" and not d.startswith(("+++", "---"))]
    return " / ".join(d[0] + " " + d[1:].strip() for d in diff)


def module_of(name: str) -> str:
    return name.rsplit(".", 1)[0].removeprefix("siteplan.").replace(".", "/") + ".py"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work", type=Path, help="the MUTATION_WORK folder of tools/mutation_run.sh")
    ap.add_argument("--config", type=Path, default=ROOT / "tools" / "mutmut.toml")
    ap.add_argument("--equivalent", type=Path, default=ROOT / "tools" / "mutation_equivalent",
                    help="a folder of explanation files (*.toml), or one file")
    ap.add_argument("--report", type=Path, help="write the markdown report here")
    ap.add_argument("--pending", action="store_true",
                    help="print the names of the mutants in scope without a result, and stop")
    ap.add_argument("--minutes", type=float, help="the run's wall time, for the report")
    ap.add_argument("--note", default="", help="a sentence on how the run was made")
    ap.add_argument("--curated", type=Path,
                    help="a report of tools/mutate.py to include (otherwise the one already "
                         "in the --report file is kept)")
    args = ap.parse_args(argv)

    status = results(args.work, scope(args.config))
    if args.pending:
        print("\n".join(n for n, s in sorted(status.items()) if s == "not checked"))
        return 0
    explained, entries = {}, []
    files = (sorted(args.equivalent.glob("*.toml")) if args.equivalent.is_dir()
             else [args.equivalent] if args.equivalent.is_file() else [])
    bad = []
    for f in files:
        # [[equivalent]] names = [...] (mutmut's names), line = a text every one of their
        # changed lines holds, kind = one of KINDS, why = the reason no test tells them apart
        for e in tomllib.loads(f.read_text(encoding="utf-8")).get("equivalent", []):
            e.setdefault("kind", "equivalent")
            if e["kind"] not in KINDS:
                bad.append(f"{f.name}: kind {e['kind']!r} of {e['names'][0]} is not one of "
                           f"{', '.join(KINDS)}")
            entries.append(e)
            for name in e["names"]:
                if name in explained:
                    bad.append(f"{f.name}: {name} is explained twice")
                explained[name] = e
    stale = list(bad)
    for name, e in explained.items():
        if name not in status:
            stale.append(f"{name}: explained, but not a mutant in scope (renamed?)")
        elif status[name] == "survived":
            if e["line"] not in changed_line(args.work, name):
                stale.append(f"{name}: the explanation is for {e['line']!r}, the mutant "
                             f"now changes {changed_line(args.work, name)!r}")
            else:
                status[name] = "equivalent"
        elif status[name] in ("killed", "timeout", "crashed"):
            stale.append(f"{name}: explained as equivalent, but a test kills it")

    per = collections.defaultdict(collections.Counter)
    for name, s in status.items():
        per[module_of(name)][s] += 1
    total = collections.Counter(status.values())
    killed = total["killed"] + total["timeout"] + total["crashed"]
    judged = killed + total["survived"] + total["no tests"]
    lines = ["# Mutation report (mutmut)", "",
             f"Made by `bash tools/mutation_run.sh` (mutmut 3, configuration "
             f"`tools/mutmut.toml`) and `python tools/mutation_report.py WORK --report "
             f"docs/mutation-report.md`. {args.note}".rstrip(), ""]
    if args.minutes:
        lines += [f"Wall time of the run: {args.minutes:.0f} minutes.", ""]
    lines += [f"- mutants in scope: {len(status)}",
              f"- killed (a test fails, times out or crashes): {killed}",
              f"- explained (below; no test can tell them apart): {total['equivalent']}",
              *[f"  - {kind}: {n}" for kind, n in sorted(collections.Counter(
                  explained[m]["kind"] for m, st in status.items()
                  if st == "equivalent").items())],
              f"- survived (a missing test): {total['survived']}",
              f"- no test reaches the mutated line: {total['no tests']}",
              f"- not run: {total['not checked'] + total['skipped'] + total['suspicious']}",
              f"- killed of the mutants run and not explained: {killed} of {judged} "
              f"({100 * killed / max(judged, 1):.1f} %)", "",
              "| module | mutants | killed | explained | survived | no tests | killed of "
              "the unexplained |", "|---|---:|---:|---:|---:|---:|---:|"]
    for module in sorted(per):
        c = per[module]
        k = c["killed"] + c["timeout"] + c["crashed"]
        j = k + c["survived"] + c["no tests"]
        lines.append(f"| {module} | {sum(c.values())} | {k} | {c['equivalent']} | "
                     f"{c['survived']} | {c['no tests']} | {100 * k / max(j, 1):.0f} % |")
    left = sorted(n for n, s in status.items() if s in ("survived", "no tests"))
    if left:
        lines += ["", "## Mutants no test kills yet", "",
                  "| mutant | status | change |", "|---|---|---|"]
        for n in left:
            change = changed_line(args.work, n).replace("|", "\\|")
            lines.append(f"| `{n.removeprefix('siteplan.')}` | {status[n]} | `{change}` |")
    if total["equivalent"]:
        lines += ["", "## Explained mutants", "",
                  "Each group: the mutants, the text their changed lines hold, and why no "
                  "test can tell them apart from the original. Kinds:", ""]
        lines += [f"- *{kind}*: {text}" for kind, text in KINDS.items()]
        for kind in KINDS:
            group = [e for e in entries if e["kind"] == kind
                     and any(status.get(n) == "equivalent" for n in e["names"])]
            if not group:
                continue
            lines += ["", f"### {kind.capitalize()}", ""]
            for e in group:
                names = [n for n in e["names"] if status.get(n) == "equivalent"]
                shown = ", ".join(f"`{n.removeprefix('siteplan.')}`" for n in names)
                lines.append(f"- {shown} (`{e['line']}`): {' '.join(e['why'].split())}")
    text = "\n".join(lines) + "\n"
    curated = ""
    if args.curated:
        body = args.curated.read_text(encoding="utf-8").split("\n", 1)[1]
        curated = CURATED + body.replace("\n## ", "\n### ")
    elif args.report and args.report.is_file() and CURATED in args.report.read_text("utf-8"):
        old = args.report.read_text(encoding="utf-8")
        curated = old[old.index(CURATED):]
    text += curated
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    print(text.split("\n| module")[0])
    for s in stale:
        print(s, file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
