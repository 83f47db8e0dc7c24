#!/usr/bin/env bash
# Sets up .venv with siteplan and its test tools, the browser and the map's
# JavaScript for the browser tests, then runs every test, one worker per core. Extra arguments go
# to pytest (e.g. scripts/test.sh -k maps).
set -euo pipefail
source "$(dirname "$0")/_setup.sh" "[test]"

# Browser tests drive Debian's chromium; the map's CDN scripts are served from
# npm packages. Install both when they are missing and we may.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: /usr/bin/chromium is missing; the browser tests will be skipped" >&2
  fi
fi
# The register's PostGIS tests start a throwaway PostgreSQL server from Debian's
# postgresql and postgis packages (initdb/pg_ctl as a non-root user).
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || \
   [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-15-postgis-3 >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-15-postgis-3 >/dev/null
  else
    echo "note: PostgreSQL 15 with PostGIS is missing; the register's PostGIS tests will be skipped" >&2
  fi
fi
if [ -f tests/browser/package-lock.json ] && command -v npm >/dev/null; then
  npm ci --prefix tests/browser --no-audit --no-fund --silent
fi

# The compiled nearest-feature search goes into siteplan's cache once, before the test
# processes start: on a fresh machine every worker, notebook kernel and command started in
# the first seconds would otherwise compile it itself (about 6 s of CPU each; 30 s of the
# suite's wall time). Where it is cached already this takes a second.
.venv/bin/python -c "import siteplan as sp; sp.score(sp.load_sample(), 'sentra_kuliner')"

# One worker process per core (pytest-xdist); the tests of a module stay on one worker,
# so a module's server or database starts once. SITEPLAN_TEST_WORKERS=0 runs them in this
# process (as does -n 0 among the arguments).
# The suite's pytest plugins load by name. Autoloading them would make pytest rewrite the
# asserts of every module of each plugin's package (schemathesis, hypothesis, anyio: 370
# modules), again in every process, as this machine writes no bytecode: 2-3 s a process.
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
# The workers take whole modules, slowest first (tests/support/slowfirst.py).
exec .venv/bin/python -m pytest -p xdist.plugin -p _hypothesis_pytestplugin \
  -p schemathesis.pytest.plugin -n "${SITEPLAN_TEST_WORKERS:-auto}" --dist loadscope \
  --no-loadscope-reorder "$@"
