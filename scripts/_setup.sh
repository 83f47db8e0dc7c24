# Shared by scripts/demo.sh and scripts/test.sh: a virtual environment in .venv
# with siteplan installed (editable) plus the extra "fast" (numba) and the
# extras named in $1 (e.g. "[test]").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "siteplan needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
extras=${1:-}; extras=${extras#[}; extras=${extras%]}
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[fast${extras:+,$extras}]"
