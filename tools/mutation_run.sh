#!/usr/bin/env bash
# Mutation testing of siteplan's core modules with mutmut 3 (configuration: tools/mutmut.toml).
#
# The repository is copied to a work folder and mutmut runs there, so the checkout is never
# touched. A second run with the same MUTATION_WORK keeps mutmut's results and runs only the
# mutants without one (or those named on the command line, or whose function or tests changed).
#
#   bash tools/mutation_run.sh                     # every mutant of the core modules
#   MUTATION_WORK=/tmp/mm bash tools/mutation_run.sh 'siteplan.methods.weights*'   # some mutants again
#   .venv/bin/python tools/mutation_report.py /tmp/mm --report docs/mutation-report.md
#
# It needs mutmut 3 in the virtualenv (.venv/bin/pip install 'mutmut>=3.8,<4'); it runs
# offline. The full run took 27 minutes on the two idle cores (docs/mutation-report.md),
# so it is not part of CI; MUTATION_CHILDREN sets the parallel workers (default 2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
CONFIG=${MUTATION_CONFIG:-$ROOT/tools/mutmut.toml}   # another [tool.mutmut] table, e.g. fewer modules
WORK=${MUTATION_WORK:-$(mktemp -d -t siteplan-mutmut-XXXXXX)}
mkdir -p "$WORK"
[ "$(cd "$WORK" && pwd)" != "$ROOT" ] || { echo "MUTATION_WORK must not be the checkout" >&2; exit 2; }

# the current sources and tests (mtimes kept, so mutmut re-mutates only what changed)
tar -C "$ROOT" --exclude=__pycache__ --exclude='*.pyc' --exclude='_out' --exclude='_artifacts' \
    -cf - siteplan tests tools data pyproject.toml | tar -C "$WORK" -xf -
{ cat "$ROOT/pyproject.toml"; echo; cat "$CONFIG"; } > "$WORK/pyproject.toml"
# keep pyproject.toml's mtime stable between runs of the same folder (mutmut watches it)
touch -r "$CONFIG" "$WORK/pyproject.toml"

# no mutant rewrites the wording of an error or a warning (tools/mutation_prepare.py)
"$VENV/bin/python" "$ROOT/tools/mutation_prepare.py" $(cd "$WORK" && "$VENV/bin/python" -c '
import sys, tomllib
print(" ".join(tomllib.load(open(sys.argv[1], "rb"))["tool"]["mutmut"]["only_mutate"]))
' "$CONFIG" | sed "s#\([^ ]*\)#$WORK/\1#g")
# the mutants in scope, unless some are named on the command line; in a folder that already
# holds results, only those in scope without one (mutmut runs every mutant it is given by name)
if [ $# -eq 0 ]; then
    if ls "$WORK"/mutants/siteplan/*.meta >/dev/null 2>&1; then
        set -- $("$VENV/bin/python" "$ROOT/tools/mutation_report.py" "$WORK" --config "$CONFIG" \
                 --pending)
        [ $# -gt 0 ] || { echo "every mutant in scope has a result" >&2; exit 0; }
    else
        set -- $("$VENV/bin/python" -c '
import sys, tomllib
print(" ".join(tomllib.load(open(sys.argv[1], "rb"))["tool"]["siteplan-mutation"]["scope"]))
' "$CONFIG")
    fi
fi

echo "mutmut in $WORK" >&2
cd "$WORK"
start=$(date +%s)
# mutmut exits 0 even with survivors; the report script judges them
env -u CI PYTHONDONTWRITEBYTECODE=1 nice -n "${MUTATION_NICE:-10}" \
    "$VENV/bin/mutmut" run --max-children "${MUTATION_CHILDREN:-2}" "$@"
end=$(date +%s)
echo "mutmut run: $((end - start)) s wall, load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    | tee -a "$WORK/run-times.txt" >&2
echo "report: $VENV/bin/python $ROOT/tools/mutation_report.py $WORK --report docs/mutation-report.md" >&2
